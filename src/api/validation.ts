import type { z } from 'zod';
import { HttpError } from './errors';

/** Parses with zod; on failure a 422 whose `detail` lists `{loc, msg, type}` per problem. */
export function parseOr422<T extends z.ZodTypeAny>(schema: T, value: unknown, where: 'query' | 'body' | 'path'): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new HttpError(
    422,
    r.error.issues.map((i) => ({ loc: [where, ...i.path], msg: i.message, type: i.code })),
  );
}
