import { loadEnvConfig, projectPaths, type EnvConfig, type ProjectPaths } from '../config';
import { createTemporalClient, waitForTemporal, type TemporalClient } from '../temporal/connection';

export interface GlobalOptions {
  project?: string;
  json?: boolean;
  verbose?: boolean;
}

export interface CliContext {
  config: EnvConfig;
  paths: ProjectPaths;
  json: boolean;
}

/** A user-facing failure: one line on stderr, exit 1. */
export class CliError extends Error {
  readonly type = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export function cliContext(opts: GlobalOptions): CliContext {
  const config = loadEnvConfig();
  return { config, paths: projectPaths(config, opts.project ?? process.cwd()), json: !!opts.json };
}

/** A client that has answered once (short wait, so a down server fails fast with a clear line). */
export async function connectedClient(ctx: CliContext, waitSeconds = 3): Promise<TemporalClient> {
  const t = createTemporalClient(ctx.config);
  try {
    await waitForTemporal(t, waitSeconds);
  } catch (err) {
    await t.close().catch(() => undefined);
    throw err;
  }
  return t;
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(line = ''): void {
  process.stdout.write(line + '\n');
}
