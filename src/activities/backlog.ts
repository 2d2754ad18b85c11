import path from 'node:path';
import { boundItemTexts, readItemText, storeItemText } from '../backlog/item-text';
import { loadBacklog } from '../backlog/load';
import { readItemOutcomes } from '../backlog/outcomes';
import type { ReadBacklogInput, ReadBacklogResult, ReadItemTextInput, ReadItemTextResult } from '../shared/types';

/** Warnings past this many are counted, not listed: the result is one bounded payload. */
const MAX_WARNINGS = 50;

export function createReadBacklog() {
  return async function readBacklog(input: ReadBacklogInput): Promise<ReadBacklogResult> {
    const loaded = await loadBacklog(input);
    const outcomes = await readItemOutcomes(input.stateDir);
    const warnings = [...loaded.warnings];
    for (const m of loaded.malformed) for (const l of m.lines) warnings.push(`${path.basename(m.file)}:${l.line}: expected 'N. text'`);
    // Long texts travel as excerpts (a Temporal payload holds 2 MiB); the whole text is kept for the item.
    const { items, cut } = boundItemTexts(loaded.items);
    for (const item of cut) {
      // Not fatal: an item whose text is not kept reads it from the backlog again.
      await storeItemText(input.stateDir, item.key, item.text).catch((err: Error) => warnings.push(`item text not kept for ${item.key}: ${err.message.split('\n')[0]}`));
    }
    if (warnings.length > MAX_WARNINGS) warnings.splice(MAX_WARNINGS, Infinity, `… and ${warnings.length - MAX_WARNINGS} more (nightshift backlog --check)`);
    // Only the outcomes of items in the backlog: items.jsonl remembers every item ever run.
    const current: ReadBacklogResult['outcomes'] = {};
    for (const item of items) if (outcomes[item.key]) current[item.key] = outcomes[item.key];
    return { items, warnings, outcomes: current };
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
