import { open, stat } from 'node:fs/promises';

const CHUNK_BYTES = 4 * 1024 * 1024;

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
    let info;
    try {
      info = await stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const reset = this.inode !== -1;
      this.inode = -1;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
      return { reset };
    }
    let reset = false;
    if (info.ino !== this.inode || info.size < this.offset) {
      reset = this.inode !== -1;
      this.inode = info.ino;
      this.offset = 0;
      this.pending = Buffer.alloc(0);
    }
    if (info.size === this.offset) return { reset };
    const handle = await open(this.file, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, info.size - this.offset));
      while (this.offset < info.size) {
        const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, info.size - this.offset), this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        // Decode only up to the last newline so a multi-byte character is never cut.
        const end = buf.lastIndexOf(0x0a, bytesRead - 1);
        if (end < 0) {
          this.pending = Buffer.concat([this.pending, buf.subarray(0, bytesRead)]);
          continue;
        }
        const text = Buffer.concat([this.pending, buf.subarray(0, end + 1)]).toString('utf8');
        this.pending = Buffer.from(buf.subarray(end + 1, bytesRead));
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          onLine(text.slice(start, nl));
          start = nl + 1;
        }
      }
    } finally {
      await handle.close();
    }
    return { reset };
  }
}
