import type { WriteStream } from 'node:fs';

/** One task log keeps at most this much of an agent's output on disk: its first part and its last. */
export const TASK_LOG_MAX_BYTES = 8 * 1024 * 1024;
const TAIL_KEEP_CHARS = 512 * 1024;

/**
 * A task log that cannot fill the disk: past `maxBytes` the output is no longer written as it comes;
 * only its last part is kept, and `end` writes a line saying how much was cut, then that last part.
 */
export class BoundedLog {
  private written = 0;
  private cut = 0;
  private tail = '';

  constructor(
    private readonly stream: WriteStream,
    private readonly maxBytes = TASK_LOG_MAX_BYTES,
  ) {}

  write(text: string): void {
    if (this.cut === 0 && this.written + Buffer.byteLength(text) <= this.maxBytes) {
      this.written += Buffer.byteLength(text);
      this.stream.write(text);
      return;
    }
    this.cut += Buffer.byteLength(text);
    this.tail = (this.tail + text).slice(-TAIL_KEEP_CHARS);
  }

  end(text: string): void {
    if (this.cut > 0) {
      const kept = Buffer.byteLength(this.tail);
      this.stream.write(
        `\n[nightshift] task log cut at ${this.maxBytes} bytes: ${this.cut - kept} bytes of output not kept; its last ${kept} bytes follow\n`,
      );
      this.stream.write(this.tail);
    }
    this.stream.end(text);
  }
}
