import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export interface EncodedJson {
  body: Buffer;
  /** A weak ETag: the body's length and a hash of it (both paths set it, so Express never computes its own). */
  etag: string;
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
      e = { body, etag: `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64url').slice(0, 27)}"` };
      this.byValue.set(value, e);
    }
    return e;
  }
}

/** Writes a 200 with an encoded JSON body straight to node's response (the headers Express's `res.send` would set). */
export function writeEncodedJson(res: ServerResponse, { body, etag }: EncodedJson, headers: Record<string, string> = {}): void {
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, ETag: etag });
  res.end(body);
}
