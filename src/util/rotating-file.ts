import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export const KEEP_ROTATED = 5;

/**
 * An append-only log file with size-based rotation: past `maxBytes` the file
 * becomes `<file>.1` (older ones shift up to `<file>.5`, the oldest is dropped)
 * and writing continues in a fresh file. Lines are never split across files.
 */
export class RotatingFile {
  private fd: number;
  private size: number;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly keep = KEEP_ROTATED,
  ) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(text: string | Buffer): void {
    const data = typeof text === 'string' ? Buffer.from(text) : text;
    if (this.size > 0 && this.size + data.length > this.maxBytes) this.rotate();
    writeSync(this.fd, data);
    this.size += data.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--)
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'a');
    this.size = 0;
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Feeds a child's output into a rotating file line by line (so a rotation never cuts a line). */
export function lineSink(target: RotatingFile): (chunk: Buffer | string) => void {
  let pending = '';
  return (chunk) => {
    const text = pending + chunk.toString();
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      pending = text;
      return;
    }
    target.write(text.slice(0, end + 1));
    pending = text.slice(end + 1);
  };
}
