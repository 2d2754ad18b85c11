import path from 'node:path';
import type { ItemOutcomeRecord } from '../shared/contracts/pipeline';
import { appendLine, readJsonlRecords } from '../util/jsonl';

/**
 * `<state dir>/items.jsonl`: how each item ended (passed, failed, or stopped with
 * its position), so a later pipeline run never redoes finished work and
 * resumes interrupted items. The latest line per key wins.
 */
export function itemsFile(stateDir: string): string {
  return path.join(stateDir, 'items.jsonl');
}

const isOutcome = (v: unknown): v is ItemOutcomeRecord => {
  const r = v as ItemOutcomeRecord | null;
  return typeof r === 'object' && r !== null && typeof r.key === 'string' && typeof r.outcome === 'string';
};

export async function readItemOutcomes(stateDir: string): Promise<Record<string, ItemOutcomeRecord>> {
  return (await readItemOutcomesCounted(stateDir)).outcomes;
}

/** The latest outcome per key, and how many lines were skipped (torn fragments, foreign lines). */
export async function readItemOutcomesCounted(
  stateDir: string,
): Promise<{ outcomes: Record<string, ItemOutcomeRecord>; skippedLines: number }> {
  const { records, skippedLines } = await readJsonlRecords(itemsFile(stateDir), isOutcome);
  const outcomes: Record<string, ItemOutcomeRecord> = {};
  for (const r of records) outcomes[r.key] = r;
  return { outcomes, skippedLines };
}

export async function appendItemOutcome(stateDir: string, record: ItemOutcomeRecord): Promise<void> {
  await appendLine(itemsFile(stateDir), JSON.stringify(record));
}
