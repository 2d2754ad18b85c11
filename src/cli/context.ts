import { statSync } from 'node:fs';
import path from 'node:path';
import { loadEnvConfig, projectPaths, type EnvConfig, type ProjectPaths } from '../config';
import { parseFieldList, selectFields, type JsonFields } from './json-fields';
import { createTemporalClient, waitForTemporal, type TemporalClient } from '../temporal/connection';

export interface GlobalOptions {
  project?: string;
  json?: boolean;
  /** `--json a,b` (see json-fields.ts): the fields to keep. */
  jsonFields?: string;
  verbose?: boolean;
}

export interface CliContext {
  config: EnvConfig;
  paths: ProjectPaths;
  json: boolean;
}

/** After `Temporal not reachable at <address>` (the contract's text): the ways out, on the same line. */
export const UNREACHABLE_HINT =
  ' — start it with `nightshift up` (server, worker, API and pipeline) or `nightshift server` (the server alone), or set TEMPORAL_ADDRESS to the server you use';

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

/** The `--project` folder, which must exist: a typo must not read as an empty, not-started project. */
export function projectDirectory(project: string | undefined): string {
  const dir = path.resolve(project ?? process.cwd());
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // missing
  }
  if (!isDir) throw new CliError(`project directory not found: ${dir}`);
  return dir;
}

/** Set once per run by cliContext: what printJson keeps. */
let jsonFields: JsonFields = null;

export function cliContext(opts: GlobalOptions): CliContext {
  jsonFields = opts.jsonFields ? parseFieldList(opts.jsonFields) : null;
  const config = loadEnvConfig();
  return { config, paths: projectPaths(config, projectDirectory(opts.project)), json: !!opts.json };
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
  process.stdout.write(JSON.stringify(selectFields(value, jsonFields), null, 2) + '\n');
}

/** One object per line (`status --watch --json`), with the `--json` field selection. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(JSON.stringify(selectFields(value, jsonFields)) + '\n');
}

export function print(line = ''): void {
  process.stdout.write(line + '\n');
}
