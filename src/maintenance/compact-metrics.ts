import { createReadStream } from 'node:fs';
import { readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseMetricLine } from '../metrics/aggregate';
import { appendLine } from '../util/jsonl';

export interface CompactionResult {
  archived: number;
  kept: number;
  archiveFile: string | null;
}

const SUFFIX = '.compacting';

/**
 * Moves metrics lines older than `keepDays` into a dated archive file next to
 * the store, without losing a line, even with writers appending meanwhile:
 * the store is renamed aside first (new appends start a fresh file), its recent
 * lines are appended back, its old ones go to the archive, and a compaction
 * interrupted half-way is finished by the next one (the `.compacting` file stays).
 */
export async function compactMetrics(o: {
  metricsFile: string;
  keepDays: number;
  now?: number;
}): Promise<CompactionResult> {
  const now = o.now ?? Date.now();
  const dir = path.dirname(o.metricsFile);
  const base = path.basename(o.metricsFile);
  const archiveFile = path.join(
    dir,
    `${base.replace(/\.jsonl$/, '')}-archive-${new Date(now).toISOString().slice(0, 10)}.jsonl`,
  );
  const aside = `${o.metricsFile}.${process.pid}.${now}${SUFFIX}`;
  // Only a regular file is compacted; anything else in its place is left for the appends to report.
  const info = await stat(o.metricsFile).catch(() => null);
  if (info && !info.isFile()) return { archived: 0, kept: 0, archiveFile: null };
  try {
    await rename(o.metricsFile, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pending = (await readdir(dir).catch(() => [] as string[]))
    .filter((f) => f.startsWith(`${base}.`) && f.endsWith(SUFFIX))
    .map((f) => path.join(dir, f));
  const cutoff = now - o.keepDays * 86_400_000;
  let archived = 0;
  let kept = 0;
  for (const file of pending.sort()) {
    // A file left by an interrupted compaction may already have put some lines back: never twice.
    const already = file === aside ? new Set<string>() : await linesOf(o.metricsFile);
    const old: string[] = [];
    const recent: string[] = [];
    const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim() || already.has(line)) continue;
      const r = parseMetricLine(line);
      // A malformed line is kept in the store (it was never ours to judge), not silently archived.
      (r && r.at < cutoff ? old : recent).push(line);
    }
    if (old.length) await appendLine(archiveFile, old.join('\n'));
    for (let i = 0; i < recent.length; i += 1000) await appendLine(o.metricsFile, recent.slice(i, i + 1000).join('\n'));
    await unlink(file);
    archived += old.length;
    kept += recent.length;
  }
  return { archived, kept, archiveFile: archived ? archiveFile : null };
}

async function linesOf(file: string): Promise<Set<string>> {
  const out = new Set<string>();
  try {
    for await (const line of createInterface({
      input: createReadStream(file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    }))
      out.add(line);
  } catch {
    // no store yet
  }
  return out;
}
