import { HttpError } from './errors';
import { z } from './zod';

/** Parses with zod; on failure a 422 whose `detail` lists `{loc, msg, type}` per problem. */
export function parseOr422<T extends z.ZodTypeAny>(
  schema: T,
  value: unknown,
  where: 'query' | 'body' | 'path',
): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new HttpError(
    422,
    r.error.issues.map((i) => ({ loc: [where, ...i.path], msg: i.message, type: i.code })),
  );
}

/**
 * What String.prototype.trim() removes (ECMAScript white space and line terminators), spelled out so the
 * OpenAPI pattern means the same in every regex dialect (a client's `\s` is not JavaScript's).
 */
const TRIMMED = '\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** The OpenAPI pattern of a text field: at least one character trim() keeps. */
export const NON_BLANK_PATTERN = `[^${TRIMMED}]`;
const nonBlank = new RegExp(NON_BLANK_PATTERN, 'u');

/**
 * A free-text body field as its OpenAPI schema states it: 1..max characters (Unicode code points, as JSON
 * Schema counts them) with at least one that is not white space; the value used is trimmed.
 */
export function textField(name: string, max: number) {
  return z
    .string()
    .refine((v) => [...v].length <= max, `${name} must be at most ${max} characters`)
    .refine((v) => nonBlank.test(v), `${name} must not be empty or only white space`)
    .transform((v) => v.trim())
    .openapi({ minLength: 1, maxLength: max, pattern: NON_BLANK_PATTERN });
}

/**
 * An integer query parameter (`?limit=5`): its text as a number from min to max. A query carries no null, but zod's
 * coercion would take one as 0 (and the document would then allow null where 0 is in range): null is refused.
 */
export function queryInteger(min: number, max: number) {
  return z.preprocess((v) => (v === null ? undefined : v), z.coerce.number().int().min(min).max(max));
}

/** A path parameter that names a resource: a value its schema refuses names nothing, so it is a 404, not a 422. */
export function parseOr404<T extends z.ZodTypeAny>(schema: T, value: unknown, detail: string): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new HttpError(404, detail);
}
