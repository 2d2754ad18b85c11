import { open, stat } from 'node:fs/promises';

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Complete lines as bytes: `buf[start, end)` holds one or more whole lines,
 * each ending with '\n'. The buffer is reused after the callback returns.
 */
export type LineBytesHandler = (buf: Buffer, start: number, end: number) => void;

/**
 * Reads only what was appended to a file since the last call and hands each
 * complete line to `onLine`; a partial last line waits for the next call.
 * When the file shrinks or is replaced (rotation, compaction), reading starts
 * over and `reset` is true. Memory is bounded by one chunk.
 */
export class TailReader {
  private offset = 0;
  private inode = -1;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  async read(onLine: (line: string) => void): Promise<{ reset: boolean }> {
    return this.readBytes((buf, start, end) => {
      // Decoded in one piece up to the last newline, so a multi-byte character is never cut.
      const text = buf.toString('utf8', start, end);
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        onLine(text.slice(from, nl));
        from = nl + 1;
      }
    });
  }

  /**
   * Like `read`, but hands over raw bytes of complete lines. `onReset` runs
   * before any byte of a replaced or shrunk file is delivered, so a caller can
   * drop what it built from the old file first.
   */
  async readBytes(onLines: LineBytesHandler, onReset?: () => void): Promise<{ reset: boolean }> {
    let info;
    try {
      info = await stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const reset = this.inode !== -1;
      this.inode = -1;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      if (reset) onReset?.();
      return { reset };
    }
    let reset = false;
    if (info.ino !== this.inode || info.size < this.offset) {
      reset = this.inode !== -1;
      this.inode = info.ino;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      if (reset) onReset?.();
    }
    if (info.size === this.offset) return { reset };
    const handle = await open(this.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, info.size - this.offset));
      while (this.offset < info.size) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, info.size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const end = buf.lastIndexOf(0x0a, bytesRead - 1);
        if (end < 0) {
          this.pending = Buffer.concat([this.pending, buf.subarray(0, bytesRead)]);
          continue;
        }
        if (this.pending.length === 0) onLines(buf, 0, end + 1);
        else {
          const first = buf.indexOf(0x0a);
          const joined = Buffer.concat([this.pending, buf.subarray(0, first + 1)]);
          onLines(joined, 0, joined.length);
          if (first < end) onLines(buf, first + 1, end + 1);
        }
        this.pending = Buffer.from(buf.subarray(end + 1, bytesRead));
      }
    } finally {
      await handle.close();
    }
    return { reset };
  }
}
