import { appendItemOutcome } from '../backlog/outcomes';
import type { RecordItemOutcomeInput, RecordItemOutcomeResult } from '../shared/contracts/pipeline';

export function createRecordItemOutcome() {
  return async function recordItemOutcome(input: RecordItemOutcomeInput): Promise<RecordItemOutcomeResult> {
    // Idempotent: a repeated line for the same key and outcome changes nothing (latest wins).
    await appendItemOutcome(input.stateDir, input.record);
    return { written: true };
  };
}
