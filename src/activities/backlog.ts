import path from 'node:path';
import { boundItemTexts, readItemText, storeItemText } from '../backlog/item-text';
import { loadBacklog } from '../backlog/load';
import { readItemOutcomes } from '../backlog/outcomes';
import type {
  BacklogItem,
  ItemOutcomeRecord,
  ReadBacklogInput,
  ReadBacklogResult,
  ReadItemTextInput,
  ReadItemTextResult,
} from '../shared/contracts/pipeline';

/** Warnings past this many are counted, not listed: the result is one bounded payload. */
const MAX_WARNINGS = 50;

/**
 * Items one read lists at most (a Temporal payload holds 2 MiB; 10,000 items of a line each exceed it): a
 * longer backlog lists its first unfinished items in run order, enough for every slot, and counts the rest.
 */
export const MAX_LISTED_ITEMS = 500;

/** The items a read lists, and the rest counted by state. */
export function listedItems(
  items: BacklogItem[],
  outcomes: Record<string, ItemOutcomeRecord>,
): { listed: BacklogItem[]; unlisted?: ReadBacklogResult['unlisted'] } {
  if (items.length <= MAX_LISTED_ITEMS) return { listed: items };
  const finished = (key: string) => outcomes[key]?.outcome === 'passed' || outcomes[key]?.outcome === 'failed';
  const listed = items.filter((i) => !finished(i.key)).slice(0, MAX_LISTED_ITEMS);
  const shown = new Set(listed.map((i) => i.key));
  const unlisted = { pending: 0, passed: 0, failed: 0 };
  for (const item of items) {
    if (shown.has(item.key)) continue;
    const outcome = outcomes[item.key]?.outcome;
    unlisted[outcome === 'passed' || outcome === 'failed' ? outcome : 'pending'] += 1;
  }
  return { listed, unlisted };
}

export function createReadBacklog() {
  return async function readBacklog(input: ReadBacklogInput): Promise<ReadBacklogResult> {
    const loaded = await loadBacklog(input);
    const outcomes = await readItemOutcomes(input.stateDir);
    const warnings = [...loaded.warnings];
    for (const m of loaded.malformed)
      for (const l of m.lines) warnings.push(`${path.basename(m.file)}:${l.line}: expected 'N. text'`);
    const { listed, unlisted } = listedItems(loaded.items, outcomes);
    // Long texts travel as excerpts (a Temporal payload holds 2 MiB); the whole text is kept for the item.
    const { items, cut } = boundItemTexts(listed);
    for (const item of cut) {
      // Not fatal: an item whose text is not kept reads it from the backlog again.
      await storeItemText(input.stateDir, item.key, item.text).catch((err: Error) =>
        warnings.push(`item text not kept for ${item.key}: ${err.message.split('\n')[0]}`),
      );
    }
    if (warnings.length > MAX_WARNINGS)
      warnings.splice(
        MAX_WARNINGS,
        Infinity,
        `… and ${warnings.length - MAX_WARNINGS} more (nightshift backlog --check)`,
      );
    // Only the outcomes of items in the backlog: items.jsonl remembers every item ever run.
    const current: ReadBacklogResult['outcomes'] = {};
    for (const item of items) if (outcomes[item.key]) current[item.key] = outcomes[item.key];
    return { items, warnings, outcomes: current, ...(unlisted ? { unlisted } : {}) };
  };
}

/** An item's whole text by key: as kept by the backlog read, else from the backlog files again. */
export function createReadItemText() {
  return async function readItemTextActivity(input: ReadItemTextInput): Promise<ReadItemTextResult> {
    const kept = await readItemText(input.stateDir, input.itemKey);
    if (kept !== null) return { text: kept };
    const item = (await loadBacklog(input)).items.find((i) => i.key === input.itemKey);
    if (item) await storeItemText(input.stateDir, item.key, item.text).catch(() => undefined); // kept for next time, if the disk lets it
    return { text: item?.text ?? null };
  };
}
