import { open } from 'node:fs/promises';

/** Part of a task's log file: `bytes` from byte `start` of a file of `size` bytes. */
export interface LogSlice {
  bytes: Buffer;
  start: number;
  size: number;
}

/** Reads bytes [start, end] (inclusive; clamped to the file) of a file; null when it does not exist. */
async function readSlice(
  file: string,
  from: (size: number) => { start: number; end: number },
): Promise<LogSlice | null> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = await handle.stat();
    const { start, end } = from(size);
    const length = Math.max(0, Math.min(end, size - 1) - start + 1);
    const bytes = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const r = await handle.read(bytes, read, length - read, start + read);
      if (r.bytesRead === 0) break;
      read += r.bytesRead;
    }
    return { bytes: bytes.subarray(0, read), start, size };
  } finally {
    await handle.close();
  }
}

/** The whole log, or its last `tailBytes` bytes starting at a character boundary (a cut UTF-8 sequence is dropped). */
export async function readLogTail(file: string, tailBytes: number | undefined): Promise<LogSlice | null> {
  const slice = await readSlice(file, (size) => ({
    start: tailBytes === undefined ? 0 : Math.max(0, size - tailBytes),
    end: size - 1,
  }));
  if (!slice || slice.start === 0) return slice;
  let skip = 0;
  while (skip < 3 && skip < slice.bytes.length && (slice.bytes[skip] & 0xc0) === 0x80) skip++;
  return { bytes: slice.bytes.subarray(skip), start: slice.start + skip, size: slice.size };
}

/** Bytes [start, end] of the log, as asked by a Range header. */
export function readLogRange(file: string, range: { start: number; end: number }): Promise<LogSlice | null> {
  return readSlice(file, () => range);
}
