import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root';

type CliName = 'claude' | 'codex' | 'aider';

let pinned: Partial<Record<CliName, { version?: string }>> | null = null;

/** The CLI version the suite installs and tests against (scripts/agent-clis.json, read by setup.js too). */
export function testedVersion(name: CliName): string | null {
  if (!pinned) {
    try {
      pinned = JSON.parse(
        readFileSync(path.join(packageRoot(), 'scripts', 'agent-clis.json'), 'utf8'),
      ) as typeof pinned;
    } catch {
      pinned = {};
    }
  }
  return pinned?.[name]?.version ?? null;
}
