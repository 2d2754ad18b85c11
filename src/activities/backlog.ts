import path from 'node:path';
import { loadBacklog } from '../backlog/load';
import { readItemOutcomes } from '../backlog/outcomes';
import type { ReadBacklogInput, ReadBacklogResult } from '../shared/types';

export function createReadBacklog() {
  return async function readBacklog(input: ReadBacklogInput): Promise<ReadBacklogResult> {
    const loaded = await loadBacklog(input);
    const outcomes = await readItemOutcomes(input.stateDir);
    const warnings = [...loaded.warnings];
    for (const m of loaded.malformed) for (const l of m.lines) warnings.push(`${path.basename(m.file)}:${l.line}: expected 'N. text'`);
    return { items: loaded.items, warnings, outcomes };
  };
}
