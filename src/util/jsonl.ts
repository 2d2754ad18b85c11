import { createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Appends one line with a single write(2) on an O_APPEND descriptor, so lines
 * from concurrent writers never interleave (POSIX appends are atomic per write
 * for regular files) and a line is either there whole or not at all.
 */
export async function appendLine(file: string, line: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'a');
  try {
    const data = Buffer.from(line.endsWith('\n') ? line : line + '\n');
    const { bytesWritten } = await handle.write(data, 0, data.length);
    if (bytesWritten !== data.length) throw new Error(`short write to ${file}`);
  } finally {
    await handle.close();
  }
}

/** Streams the file line by line (bounded memory) and reports whether any line contains `needle`. */
export async function fileContains(file: string, needle: string): Promise<boolean> {
  let stream;
  try {
    stream = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const line of lines) if (line.includes(needle)) return true;
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  } finally {
    stream?.destroy();
  }
}
