import { NIGHTSHIFT_SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { withTimeLimit, type TemporalClient } from './connection';

/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const KEYWORD = 2;

const known = new WeakMap<TemporalClient, Promise<boolean>>();

/**
 * Makes sure the namespace knows nightshift's search attributes, registering
 * the missing ones. The dev server only takes `--search-attribute` when it
 * creates its database, so an older database (or a remote cluster) needs this.
 * Returns false when they cannot be registered (no operator rights on a
 * remote cluster): workflows then run without them rather than fail.
 */
export function ensureSearchAttributes(
  t: TemporalClient,
  warn: (message: string) => void = () => undefined,
): Promise<boolean> {
  let done = known.get(t);
  if (!done) {
    done = register(t).catch((err: unknown) => {
      known.delete(t);
      warn(
        `Search attributes NightshiftProject/Item/Phase are not registered (${(err as Error).message}); the Web UI cannot filter by them`,
      );
      return false;
    });
    known.set(t, done);
  }
  return done;
}

async function register(t: TemporalClient): Promise<boolean> {
  const operator = t.connection.operatorService;
  const listed = await withTimeLimit(t, 5000, () => operator.listSearchAttributes({ namespace: t.namespace }));
  const have = new Set([...Object.keys(listed.customAttributes ?? {}), ...Object.keys(listed.systemAttributes ?? {})]);
  const missing = NIGHTSHIFT_SEARCH_ATTRIBUTES.filter((k) => !have.has(k.name));
  if (missing.length) {
    await withTimeLimit(t, 10_000, () =>
      operator.addSearchAttributes({
        namespace: t.namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, KEYWORD])),
      }),
    );
  }
  return true;
}
