import { CliError } from './context';

/**
 * `--json a,b.c` as `gh` has it: only those fields of the printed object. A dotted name
 * reaches into a nested object (`pipeline.state`); the result keeps the nesting.
 */
export type JsonFields = string[] | null;

const FIELD_LIST = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*(,[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*)*$/;

export function isFieldList(token: string): boolean {
  return FIELD_LIST.test(token);
}

export function parseFieldList(token: string): string[] {
  if (!isFieldList(token))
    throw new CliError(`--json expects field names separated by commas (e.g. --json state,items), not: ${token}`, 2);
  return [...new Set(token.split(','))];
}

/**
 * `--json X` → `--json --json-fields X` when X reads as a field list and not as what
 * follows it otherwise (a command name, a task id): `nightshift --json status` and
 * `nightshift logs --json task_…` keep working. `--json=X` always names fields.
 */
export function splitJsonFieldsArgv(argv: string[], isOtherToken: (token: string) => boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--json=')) {
      out.push('--json', '--json-fields', a.slice('--json='.length));
      continue;
    }
    const next = argv[i + 1];
    if (a === '--json' && next !== undefined && isFieldList(next) && !isOtherToken(next)) {
      out.push('--json', '--json-fields', next);
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pick(
  value: Record<string, unknown>,
  pathParts: string[],
  out: Record<string, unknown>,
  available: string[],
): boolean {
  const [head, ...rest] = pathParts;
  if (!Object.prototype.hasOwnProperty.call(value, head)) {
    available.push(...Object.keys(value));
    return false;
  }
  if (!rest.length) {
    out[head] = value[head];
    return true;
  }
  const inner = value[head];
  if (!isPlainObject(inner)) {
    available.push(head);
    return false;
  }
  const into = isPlainObject(out[head]) ? (out[head] as Record<string, unknown>) : {};
  out[head] = into;
  return pick(inner, rest, into, available);
}

/** The selected fields of `value`; an unknown field is a usage error that lists the known ones. */
export function selectFields(value: unknown, fields: JsonFields): unknown {
  if (!fields) return value;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const available: string[] = [];
    if (!pick(value, f.split('.'), out, available))
      throw new CliError(`unknown JSON field: ${f} (available: ${[...new Set(available)].join(', ')})`, 2);
  }
  return out;
}
