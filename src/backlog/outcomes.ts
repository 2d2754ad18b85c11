import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ItemOutcomeRecord } from '../shared/types';
import { appendLine } from '../util/jsonl';

/**
 * `<state dir>/items.jsonl`: how each item ended (passed, failed, or stopped with
 * its position), so a later pipeline run never redoes finished work and
 * resumes interrupted items. The latest line per key wins.
 */
export function itemsFile(stateDir: string): string {
  return path.join(stateDir, 'items.jsonl');
}

export async function readItemOutcomes(stateDir: string): Promise<Record<string, ItemOutcomeRecord>> {
  let content: string;
  try {
    content = await readFile(itemsFile(stateDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  const out: Record<string, ItemOutcomeRecord> = {};
  for (const line of content.split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as ItemOutcomeRecord;
      if (r && typeof r.key === 'string' && typeof r.outcome === 'string') out[r.key] = r;
    } catch {
      // skip a torn line
    }
  }
  return out;
}

export async function appendItemOutcome(stateDir: string, record: ItemOutcomeRecord): Promise<void> {
  await appendLine(itemsFile(stateDir), JSON.stringify(record));
}
