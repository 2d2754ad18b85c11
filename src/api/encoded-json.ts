import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { COMPRESS_MIN_BYTES } from './compression';

export interface EncodedJson {
  body: Buffer;
  /**
   * A weak ETag: the body's length and a hash of it (both paths set it, so Express never computes its own). Weak, so it
   * stands for the gzipped body too.
   */
  etag: string;
  /** The body gzipped, made on first use; null when the body is too small to be worth it. */
  gzipped(): Buffer | null;
}

/**
 * Serialises each value once: the API answers the same cached status or metrics object thousands of times a second
 * under load, and a new value is a new object. Values must not change after they are encoded.
 */
export class JsonEncodings<T extends object> {
  private readonly byValue = new WeakMap<T, EncodedJson>();

  encode(value: T): EncodedJson {
    let e = this.byValue.get(value);
    if (!e) {
      const body = Buffer.from(JSON.stringify(value));
      let gzip: Buffer | null | undefined;
      e = {
        body,
        etag: `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"`,
        gzipped: () => (gzip === undefined ? (gzip = body.length >= COMPRESS_MIN_BYTES ? gzipSync(body) : null) : gzip),
      };
      this.byValue.set(value, e);
    }
    return e;
  }
}

/**
 * The body and headers to send for an encoded value: gzipped when the client accepts it and the body is large enough.
 */
export function encodedVariant(e: EncodedJson, gzip: boolean): { body: Buffer; headers: Record<string, string> } {
  const gzipped = e.gzipped();
  if (!gzipped) return { body: e.body, headers: {} };
  return gzip
    ? { body: gzipped, headers: { 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } }
    : { body: e.body, headers: { Vary: 'Accept-Encoding' } };
}

/** Writes a 200 with an encoded JSON body straight to node's response (the headers Express's `res.send` would set). */
export function writeEncodedJson(
  res: ServerResponse,
  e: EncodedJson,
  gzip: boolean,
  headers: Record<string, string> = {},
): void {
  const v = encodedVariant(e, gzip);
  res.writeHead(200, {
    ...headers,
    ...v.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': v.body.length,
    ETag: e.etag,
  });
  res.end(v.body);
}
