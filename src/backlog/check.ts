import { ARGV_DIRECTION_LIMIT_BYTES } from '../shared/limits';
import type { LoadedBacklog } from './load';

export interface BacklogCheck {
  /** Malformed lines: `backlog --check` exits 1 when there is any. */
  problems: string[];
  /** Numbered lines markdown puts out of the backlog, and why. */
  ignored: string[];
  /** Items too long for an argv direction: a warning, the prompt file carries them. */
  long: string[];
}

/** What `backlog --check` reports, one `<file>:<line>: …` line each. */
export function checkBacklog(loaded: LoadedBacklog): BacklogCheck {
  const problems = loaded.malformed.flatMap((m) => m.lines.map((l) => `${m.file}:${l.line}: expected 'N. text'`));
  const ignored = loaded.ignored.flatMap((m) => m.lines.map((l) => `${m.file}:${l.line}: ignored: ${l.reason}`));
  const long: string[] = [];
  for (const item of loaded.items) {
    const bytes = Buffer.byteLength(item.text, 'utf8');
    if (bytes > ARGV_DIRECTION_LIMIT_BYTES) {
      long.push(
        `${item.file}:${item.line}: item is ${bytes} bytes: over ${ARGV_DIRECTION_LIMIT_BYTES}, its direction goes to the agent through the prompt file`,
      );
    }
  }
  return { problems, ignored, long };
}
