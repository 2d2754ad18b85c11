/**
 * The spec coverage table (`docs/SPEC-COVERAGE.md`, contract section 8) as pure
 * string logic: find the `| Spec | Present | Spec'd | Tested | Notes |` table,
 * match its rows to spec files, and plan and apply the changes (missing rows,
 * upgraded marks). No I/O here; `update.ts` reads and writes the files.
 *
 * Everything that is not a changed cell or an added row is kept byte for byte:
 * other lines, line endings (LF or CRLF) and whether the file ends in a newline.
 */

export const MARK_COLUMNS = ['Present', "Spec'd", 'Tested'] as const;
export type MarkColumn = (typeof MARK_COLUMNS)[number];

const HEADER_CELLS = ['spec', 'present', "spec'd", 'tested', 'notes'];
export const CHECK = '✓';
/** Cell contents that may be upgraded to ✓ (anything else, such as ✓ or free text, is left alone). */
const UPGRADABLE = new Set(['', '?', '—', '-', '✗']);

export interface SpecFile {
  /** File name in specs/, e.g. `047-heal-completion-issue-resolution.md`. */
  file: string;
  /** The three digits, e.g. `047`. */
  number: string;
  /** The slug in Title Case, complete, e.g. `Heal Completion Issue Resolution`. */
  title: string;
}

export interface CoverageChange {
  kind: 'add' | 'mark';
  /**
   * For `add`: the added row as it is templated (`| NNN Title | ? | ? | ? | Pending |`); for `mark`: the row's label
   * (`NNN Title`).
   */
  row: string;
  /** For `mark`: the column upgraded to ✓. */
  column?: MarkColumn;
}

export interface CoverageFacts {
  /** Spec files found in specs/. */
  specs: SpecFile[];
  /** Spec file names recorded as passed with tests passing. */
  passedSpecs: ReadonlySet<string>;
  /** Whether this run may upgrade Present and Tested (`--tests-passed` or CI=true). */
  testsPassed: boolean;
}

export interface CoveragePlan {
  changes: CoverageChange[];
  /** The new document (equal to the input when there are no changes). */
  content: string;
}

export class CoverageTableMissingError extends Error {
  readonly type = 'CoverageTableMissing';
}

// ---------------------------------------------------------------- spec files

const SLUG = String.raw`[A-Za-z0-9_]+(?:[.-][A-Za-z0-9_]+)*`;
const SPEC_FILE_RE = new RegExp(`^(\\d{3})-(${SLUG})\\.md$`);
const SPEC_REF_RE = new RegExp(`(?<![A-Za-z0-9_.-])(\\d{3}-${SLUG}\\.md)(?![A-Za-z0-9_])`, 'g');

/**
 * `047-heal-completion-issue-resolution` → `Heal Completion Issue Resolution` (each word's first letter upper-cased,
 * the rest kept, never cut).
 */
export function titleFromSlug(slug: string): string {
  return slug
    .split('-')
    .filter((w) => w !== '')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * A spec file name (`NNN-slug.md`), or null for anything else: other names, TEMPLATE.md,
 * backlogs (the slug ends in `backlog`, like 006-overnight-backlog) and placeholders.
 * Only the ending counts, so a spec *about* backlogs (001-backlog-and-item-keys) is a spec.
 */
export function parseSpecFileName(name: string): SpecFile | null {
  if (name === 'TEMPLATE.md') return null;
  const m = SPEC_FILE_RE.exec(name);
  if (!m) return null;
  const stem = name.slice(0, -'.md'.length).toLowerCase();
  if (stem.endsWith('backlog') || stem.includes('placeholder')) return null;
  return { file: name, number: m[1], title: titleFromSlug(m[2]) };
}

/**
 * Spec file names (`NNN-slug.md`, backlogs and placeholders excluded) mentioned anywhere in `text`, first mention
 * first, each once.
 */
export function specsReferencedIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(SPEC_REF_RE)) {
    if (parseSpecFileName(m[1]) && !out.includes(m[1])) out.push(m[1]);
  }
  return out;
}

export function compareSpecs(a: SpecFile, b: SpecFile): number {
  if (a.number !== b.number) return a.number < b.number ? -1 : 1;
  if (a.title !== b.title) return a.title < b.title ? -1 : 1;
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

export function newRowFor(spec: SpecFile): string {
  return `| ${spec.number} ${spec.title} | ? | ? | ? | Pending |`;
}

// ---------------------------------------------------------------- lines and cells

interface Line {
  text: string;
  /** `\r\n`, `\n`, or '' for a last line without a newline. */
  eol: string;
}

function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < content.length) {
    const nl = content.indexOf('\n', start);
    if (nl === -1) {
      lines.push({ text: content.slice(start), eol: '' });
      break;
    }
    const cr = nl > start && content[nl - 1] === '\r';
    lines.push({ text: content.slice(start, cr ? nl - 1 : nl), eol: cr ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

function joinLines(lines: Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

interface Cell {
  start: number;
  end: number;
}

const isPipeLine = (text: string) => text.trimStart().startsWith('|');
const isBlank = (text: string) => text.trim() === '';

/** Cell spans of a `|` line: the text between unescaped pipes (plus any text after the last pipe). */
function cellsOf(text: string): Cell[] {
  const pipes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '|') pipes.push(i);
  }
  const cells: Cell[] = [];
  for (let k = 0; k + 1 < pipes.length; k++) cells.push({ start: pipes[k] + 1, end: pipes[k + 1] });
  const last = pipes[pipes.length - 1];
  if (last !== undefined && text.slice(last + 1).trim() !== '') cells.push({ start: last + 1, end: text.length });
  return cells;
}

const cellText = (text: string, c: Cell) => text.slice(c.start, c.end);

function isSeparator(text: string): boolean {
  const cells = cellsOf(text);
  return cells.length > 0 && cells.every((c) => /^\s*:?-+:?\s*$/.test(cellText(text, c)));
}

function isCoverageHeader(text: string): boolean {
  if (!isPipeLine(text)) return false;
  const cells = cellsOf(text).map((c) => cellText(text, c).trim().toLowerCase().replace(/’/g, "'"));
  return cells.length === HEADER_CELLS.length && cells.every((c, i) => c === HEADER_CELLS[i]);
}

// ---------------------------------------------------------------- the table

interface TableRow {
  line: number;
  /** The first cell, trimmed (`047 Heal Completion Issue Resolutio`). */
  label: string;
  number: string | null;
  /** The rest of the first cell after the number, trimmed. */
  title: string;
}

export interface CoverageTable {
  headerLine: number;
  /** Index of each column in a row's cells. */
  columns: Record<MarkColumn | 'Spec', number>;
  /** The line after which new rows go: the last row of the first contiguous block (or the separator). */
  insertAfter: number;
  /**
   * Rows of the first block, then rows of blocks that continue the table after blank lines (the seed's split table).
   */
  rows: TableRow[];
}

function parseRow(text: string, line: number, specColumn: number): TableRow {
  const cells = cellsOf(text);
  const label = cells[specColumn] ? cellText(text, cells[specColumn]).trim() : '';
  const m = /^(\d{3})(?:\s+([\s\S]*))?$/.exec(label);
  return { line, label, number: m ? m[1] : null, title: m ? (m[2] ?? '').trim() : '' };
}

/** The first `| Spec | Present | Spec'd | Tested | Notes |` table (header followed by a separator row), or null. */
export function findCoverageTable(content: string): CoverageTable | null {
  return findTable(splitLines(content));
}

function findTable(lines: Line[]): CoverageTable | null {
  for (let h = 0; h + 1 < lines.length; h++) {
    if (!isCoverageHeader(lines[h].text) || !isSeparator(lines[h + 1].text)) continue;
    const header = lines[h].text;
    const names = cellsOf(header).map((c) => cellText(header, c).trim().toLowerCase().replace(/’/g, "'"));
    const columns = {
      Spec: names.indexOf('spec'),
      Present: names.indexOf('present'),
      "Spec'd": names.indexOf("spec'd"),
      Tested: names.indexOf('tested'),
    };
    const rows: TableRow[] = [];
    let i = h + 2;
    while (i < lines.length && isPipeLine(lines[i].text)) rows.push(parseRow(lines[i].text, i++, columns.Spec));
    const insertAfter = i - 1;
    // Blocks of rows separated from the table only by blank lines continue it (unless they start a table of their own).
    for (;;) {
      let j = i;
      while (j < lines.length && isBlank(lines[j].text)) j++;
      if (j === i || j >= lines.length || !isPipeLine(lines[j].text)) break;
      if (j + 1 < lines.length && isSeparator(lines[j + 1].text)) break;
      i = j;
      while (i < lines.length && isPipeLine(lines[i].text)) rows.push(parseRow(lines[i].text, i++, columns.Spec));
    }
    return { headerLine: h, columns, insertAfter, rows };
  }
  return null;
}

// ---------------------------------------------------------------- matching

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/**
 * Pairs spec files with rows (each at most once): equal numbers and equal titles first, then
 * equal numbers where one title is a prefix of the other (longest shared prefix first, so a
 * truncated `Resolutio` row still belongs to its file), then, per number, the one file and the
 * one row left over (a renamed row).
 */
export function matchRows(specs: SpecFile[], rows: TableRow[]): Map<SpecFile, TableRow> {
  const matched = new Map<SpecFile, TableRow>();
  const used = new Set<TableRow>();
  const numbered = rows.filter((r) => r.number !== null);
  const take = (s: SpecFile, r: TableRow) => {
    matched.set(s, r);
    used.add(r);
  };
  for (const s of specs) {
    const r = numbered.find((r) => !used.has(r) && r.number === s.number && norm(r.title) === norm(s.title));
    if (r) take(s, r);
  }
  const pairs: { s: SpecFile; r: TableRow; shared: number; si: number; ri: number }[] = [];
  specs.forEach((s, si) => {
    if (matched.has(s)) return;
    numbered.forEach((r, ri) => {
      if (used.has(r) || r.number !== s.number) return;
      const a = norm(s.title);
      const b = norm(r.title);
      if (a.startsWith(b) || b.startsWith(a)) pairs.push({ s, r, shared: Math.min(a.length, b.length), si, ri });
    });
  });
  pairs.sort((x, y) => y.shared - x.shared || x.si - y.si || x.ri - y.ri);
  for (const p of pairs) if (!matched.has(p.s) && !used.has(p.r)) take(p.s, p.r);
  const numbers = [...new Set(specs.map((s) => s.number))];
  for (const n of numbers) {
    const files = specs.filter((s) => s.number === n && !matched.has(s));
    const left = numbered.filter((r) => r.number === n && !used.has(r));
    if (files.length === 1 && left.length === 1) take(files[0], left[0]);
  }
  return matched;
}

// ---------------------------------------------------------------- planning

/** Replaces only the mark in a cell (keeping its surrounding spaces); null when the cell holds no upgradable mark. */
function upgradeCell(cell: string): string | null {
  const mark = cell.trim();
  if (!UPGRADABLE.has(mark)) return null;
  if (mark === '') return cell.slice(0, 1) + CHECK + cell.slice(1);
  const at = cell.indexOf(mark);
  return cell.slice(0, at) + CHECK + cell.slice(at + mark.length);
}

/** The columns that should be ✓ for a spec's row (ordered as MARK_COLUMNS). */
function wantedColumns(spec: SpecFile, facts: CoverageFacts): MarkColumn[] {
  const passed = facts.testsPassed && facts.passedSpecs.has(spec.file);
  return MARK_COLUMNS.filter((c) => c === "Spec'd" || passed);
}

/** Upgrades the wanted cells of one row line; returns the new text and the columns changed. */
function markRow(text: string, table: CoverageTable, columns: MarkColumn[]): { text: string; changed: MarkColumn[] } {
  const changed: MarkColumn[] = [];
  // Right to left, so earlier cell offsets stay valid.
  const targets = columns.map((c) => ({ c, idx: table.columns[c] })).sort((a, b) => b.idx - a.idx);
  let out = text;
  const cells = cellsOf(text);
  for (const { c, idx } of targets) {
    const cell = cells[idx];
    if (!cell) continue;
    const next = upgradeCell(cellText(text, cell));
    if (next === null) continue;
    out = out.slice(0, cell.start) + next + out.slice(cell.end);
    changed.push(c);
  }
  changed.sort((a, b) => MARK_COLUMNS.indexOf(a) - MARK_COLUMNS.indexOf(b));
  return { text: out, changed };
}

/**
 * Plans and applies the changes to a coverage document: a row for every spec file without
 * one (inside the table, right after its first block's last row, sorted by number then title),
 * then marks upgraded to ✓ (Spec'd for every spec file; Present and Tested only for passed specs
 * when `testsPassed`). Applying the result again yields no changes.
 */
export function planCoverage(content: string, facts: CoverageFacts): CoveragePlan {
  const lines = splitLines(content);
  const table = findTable(lines);
  if (!table) throw new CoverageTableMissingError("no | Spec | Present | Spec'd | Tested | Notes | table");
  const specs = [...facts.specs].sort(compareSpecs);
  const matched = matchRows(specs, table.rows);
  const changes: CoverageChange[] = [];

  const byLine = new Map<number, SpecFile>();
  for (const [s, r] of matched) byLine.set(r.line, s);
  for (const r of table.rows) {
    const s = byLine.get(r.line);
    if (!s) continue;
    const { text, changed } = markRow(lines[r.line].text, table, wantedColumns(s, facts));
    lines[r.line] = { ...lines[r.line], text };
    for (const column of changed) changes.push({ kind: 'mark', row: r.label, column });
  }

  const missing = specs.filter((s) => !matched.has(s));
  if (missing.length) {
    const eol = lines[table.headerLine].eol || '\n';
    const added: Line[] = [];
    for (const s of missing) {
      const row = newRowFor(s);
      changes.push({ kind: 'add', row });
      const { text, changed } = markRow(row, table, wantedColumns(s, facts));
      for (const column of changed) changes.push({ kind: 'mark', row: `${s.number} ${s.title}`, column });
      added.push({ text, eol });
    }
    const last = lines[table.insertAfter];
    if (last.eol === '') {
      // The table ends the file without a newline: keep it that way.
      lines[table.insertAfter] = { ...last, eol };
      added[added.length - 1] = { ...added[added.length - 1], eol: '' };
    }
    lines.splice(table.insertAfter + 1, 0, ...added);
  }

  return { changes, content: changes.length ? joinLines(lines) : content };
}
