import { createReadStream, fstatSync, readSync, writeSync } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** Appends in flight per file in this process, so they run one after another (see appendLine). */
const inFlight = new Map<string, Promise<void>>();

/**
 * Appends one line with a single write(2) on an O_APPEND descriptor, so lines
 * from concurrent writers never interleave (POSIX appends are atomic per write
 * for regular files).
 *
 * A file whose last byte is not '\n' ends in a torn line (a crash mid-write, a
 * full disk, a short write): the record then starts with '\n', in the same
 * write, so it is never glued onto the fragment and the fragment stays one
 * line that readers skip and count. Appends of this process to one file run
 * one after another, so two of them never both repair the same fragment; two
 * processes that both see it (or one that sees another's write still in
 * progress for longer than the settling looks) leave an empty line, which
 * readers skip too.
 */
export function appendLine(file: string, line: string): Promise<void> {
  const key = path.resolve(file);
  const previous = inFlight.get(key) ?? Promise.resolve();
  const mine = previous.then(() => appendNow(file, line));
  const settled = mine.catch(() => undefined);
  inFlight.set(key, settled);
  void settled.then(() => {
    if (inFlight.get(key) === settled) inFlight.delete(key);
  });
  return mine;
}

/** Looks at a line without its end again after this long, at most MAX_LOOKS times, before taking it for torn. */
const SETTLE_MS = 5;
const MAX_LOOKS = 4;

async function appendNow(file: string, line: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const body = line.endsWith('\n') ? line : line + '\n';
  let seenSize = -1;
  for (let look = 1; ; look++) {
    // a+ (O_RDWR | O_APPEND): the last byte can be read; every write still goes to the end.
    const handle = await open(file, 'a+');
    try {
      // Look and write in one go (synchronous, a few microseconds): the time between opening the file and
      // writing to it stays as short as a plain append's, since a compaction may rename the file aside meanwhile.
      const fd = handle.fd;
      const { size } = fstatSync(fd);
      const last = Buffer.alloc(1);
      const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      // Another process's write in progress also ends without its newline (the size grows page by page while
      // it copies): only a line end that stays missing while the size stands still is a torn line.
      if (!torn || size === seenSize || look >= MAX_LOOKS) {
        const data = Buffer.from(torn ? '\n' + body : body);
        const bytesWritten = writeSync(fd, data, 0, data.length);
        if (bytesWritten !== data.length)
          throw new Error(`short write to ${file} (${bytesWritten} of ${data.length} bytes)`);
        return;
      }
      seenSize = size;
    } finally {
      await handle.close();
    }
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  }
}

/**
 * Whether a whole JSON record of the file contains `needle` and satisfies `accept`.
 * A torn fragment never counts: a record cut short by a crash or a full disk does
 * not parse (a record cut only before its newline is whole, and the next append
 * terminates it).
 */
export async function fileHasRecord(
  file: string,
  needle: string,
  accept: (record: unknown) => boolean,
): Promise<boolean> {
  let stream;
  try {
    stream = createReadStream(file, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    for await (const line of lines) if (line.includes(needle) && acceptLine(line, accept)) return true;
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  } finally {
    stream?.destroy();
  }
}

function acceptLine(line: string, accept: (record: unknown) => boolean): boolean {
  try {
    return accept(JSON.parse(line));
  } catch {
    return false;
  }
}

export interface JsonlRead<T> {
  records: T[];
  /** Lines that were not a valid record: torn fragments (a crash or a full disk mid-write) and foreign lines. */
  skippedLines: number;
}

/**
 * Reads every whole record of a JSONL file (none when it does not exist). Blank
 * lines are ignored; a line that does not parse or that `valid` rejects is
 * skipped and counted, and never hides the records after it.
 */
export async function readJsonlRecords<T>(file: string, valid: (v: unknown) => v is T): Promise<JsonlRead<T>> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skippedLines: 0 };
    throw err;
  }
  const records: T[] = [];
  let skippedLines = 0;
  for (const line of content.split('\n')) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skippedLines++;
      continue;
    }
    if (valid(v)) records.push(v);
    else skippedLines++;
  }
  return { records, skippedLines };
}
