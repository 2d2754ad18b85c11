import { randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appendLine, readJsonlRecords } from '../util/jsonl';
import { CoverageTableMissingError, parseSpecFileName, planCoverage, type CoverageChange, type SpecFile } from './table';

export { specsReferencedIn, type CoverageChange } from './table';

/**
 * The file side of spec coverage: spec files in `specs/`, passed specs in
 * `<state dir>/coverage.jsonl`, and the atomic rewrite of the coverage document.
 * Free of CLI concerns; the pipeline calls it after an item passes.
 */

export class CoverageNotFoundError extends Error {
  readonly type = 'CoverageNotFound';
  constructor(readonly coveragePath: string) {
    super(`SPEC-COVERAGE not found: ${coveragePath}`);
  }
}

export interface CoverageRecord {
  spec: string;
  item_key: string;
  tests_passed: boolean;
  at: string;
}

export function coverageRecordsFile(stateDir: string): string {
  return path.join(stateDir, 'coverage.jsonl');
}

/** Appends one line per spec file name (`001-health-check.md`), each with a single write. */
export async function recordPassedSpecs(stateDir: string, specFileNames: string[], itemKey: string, testsPassed: boolean): Promise<void> {
  const names = [...new Set(specFileNames.map((n) => path.basename(n)))];
  for (const spec of names) {
    const record: CoverageRecord = { spec, item_key: itemKey, tests_passed: testsPassed, at: new Date().toISOString() };
    await appendLine(coverageRecordsFile(stateDir), JSON.stringify(record));
  }
}

const isCoverageRecord = (v: unknown): v is Partial<CoverageRecord> & { spec: string } => typeof v === 'object' && v !== null && typeof (v as CoverageRecord).spec === 'string';

/** Spec file names with at least one record whose tests passed (torn or foreign lines are skipped). */
export async function readPassedSpecs(stateDir: string): Promise<Set<string>> {
  return (await readPassedSpecsCounted(stateDir)).passed;
}

/** readPassedSpecs, with how many lines were skipped (torn fragments, foreign lines). */
export async function readPassedSpecsCounted(stateDir: string): Promise<{ passed: Set<string>; skippedLines: number }> {
  const { records, skippedLines } = await readJsonlRecords(coverageRecordsFile(stateDir), isCoverageRecord);
  const passed = new Set<string>();
  for (const r of records) if (r.tests_passed === true) passed.add(path.basename(r.spec));
  return { passed, skippedLines };
}

/** `specs/NNN-slug.md` files of the project (none when specs/ does not exist). */
export async function listSpecFiles(projectRoot: string): Promise<SpecFile[]> {
  let entries;
  try {
    entries = await readdir(path.join(projectRoot, 'specs'), { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  return entries.filter((e) => e.isFile()).flatMap((e) => parseSpecFileName(e.name) ?? []);
}

export interface UpdateCoverageOptions {
  projectRoot: string;
  /** The coverage document, relative to projectRoot (or absolute), as configured (PIPELINE_SPEC_COVERAGE). */
  coveragePath: string;
  stateDir: string;
  /** Plan only: write nothing. */
  dryRun?: boolean;
  /** Whether Present and Tested may be upgraded (`--tests-passed` or CI=true). */
  testsPassed?: boolean;
}

export interface UpdateCoverageResult {
  changes: CoverageChange[];
  /** Whether the document was rewritten (only when there were changes and it was not a dry run). */
  written: boolean;
  /** The document after the changes (what was, or would be, written). */
  content: string;
}

export async function updateCoverage(opts: UpdateCoverageOptions): Promise<UpdateCoverageResult> {
  const file = path.resolve(opts.projectRoot, opts.coveragePath);
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw new CoverageNotFoundError(opts.coveragePath);
    throw err;
  }
  const original = raw.toString('utf8');
  const [specs, passedSpecs] = await Promise.all([listSpecFiles(opts.projectRoot), readPassedSpecs(opts.stateDir)]);
  let plan;
  try {
    plan = planCoverage(original, { specs, passedSpecs, testsPassed: !!opts.testsPassed });
  } catch (err) {
    if (err instanceof CoverageTableMissingError) throw new CoverageTableMissingError(`${err.message} in ${opts.coveragePath}`);
    throw err;
  }
  if (!plan.changes.length || opts.dryRun) return { changes: plan.changes, written: false, content: plan.content };
  if (!Buffer.from(original, 'utf8').equals(raw)) throw new Error(`${opts.coveragePath} is not valid UTF-8; not rewriting it`);
  await writeAtomically(file, plan.content);
  return { changes: plan.changes, written: true, content: plan.content };
}

/** Writes a temp file in the same folder, keeps the original's mode, then renames it over the file. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    await chmod(tmp, (await stat(file)).mode & 0o7777);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
