import MarkdownIt from 'markdown-it';

/**
 * The backlog is markdown (contract section 4): only the top-level numbered
 * list items are work. markdown-it in its CommonMark preset finds the blocks
 * (fences, indented code, HTML, quotes, lists) with their line ranges; the
 * item text is still what the old line rule captured from the item's first
 * line, so the keys of existing backlogs do not change.
 */

/** The old line rule: the shape of an item line, and what its text is. */
export const ITEM_LINE = /^\s*\d+\.\s+(.+)$/;
const STARTS_WITH_DIGIT = /^\s*\d/;
const ITEM_HEAD = /^(\s*)(\d+)\.(\s+)/;
const LIST_MARKER = /^([ \t]*)(\d{1,9}[.)]|[-+*])([ \t]*)(.*)$/;

export interface ParsedLine {
  text: string;
  line: number;
}

export interface MalformedLine {
  line: number;
  content: string;
}

export interface IgnoredLine {
  line: number;
  content: string;
  reason: string;
}

export interface AnalysedBacklog {
  items: ParsedLine[];
  malformed: MalformedLine[];
  ignored: IgnoredLine[];
}

// html: true (the preset's default) so comments are HTML blocks, not text.
const md = new MarkdownIt('commonmark');
// Blocks are all the backlog needs; inline parsing (emphasis, links) would only cost time.
md.core.ruler.enableOnly(['normalize', 'block']);

function itemText(raw: string): string {
  return ITEM_LINE.exec(raw)?.[1].trim() ?? '';
}

/**
 * An item line written for the old rule, made into a list item that may
 * interrupt a paragraph: CommonMark lets only `1.` do that, so the number
 * becomes `0…01` (same width, value 1) and other whitespace becomes spaces.
 * Columns stay where they were, so the structure is otherwise unchanged.
 */
function asListStart(raw: string): string {
  if (!itemText(raw)) return raw;
  return raw.replace(ITEM_HEAD, (_all, lead: string, digits: string, gap: string) => {
    const spaces = (ws: string) => ws.replace(/[^\t]/g, ' ');
    return `${spaces(lead)}${'0'.repeat(digits.length - 1)}1.${spaces(gap)}`;
  });
}

function columns(ws: string, from = 0): number {
  let col = from;
  for (const ch of ws) col = ch === '\t' ? col + 4 - (col % 4) : col + 1;
  return col;
}

function indentOf(raw: string): number {
  return columns(/^[ \t]*/.exec(raw)?.[0] ?? '');
}

/** Where a list item's content starts (CommonMark 5.2): lines indented that far belong inside it. */
function contentColumn(raw: string): number {
  const m = LIST_MARKER.exec(raw);
  if (!m) return Number.POSITIVE_INFINITY;
  const markerEnd = columns(m[1]) + m[2].length;
  const gap = columns(m[3], markerEnd) - markerEnd;
  return !m[4] || gap >= 5 || gap === 0 ? markerEnd + 1 : markerEnd + gap;
}

/**
 * Why a line is not work, from where it is (later, inner blocks overwrite outer ones); a lazy line stands at the top
 * level.
 */
type Where = { reason: string; lazy: boolean };

export function analyseBacklog(content: string): AnalysedBacklog {
  const lines = content.split(/\r\n?|\n/);
  const rewritten = lines.map(asListStart);
  // A byte-order mark would hide a heading or a fence on the first line from the parser.
  if (rewritten[0]?.startsWith('\ufeff')) rewritten[0] = rewritten[0].slice(1);
  const where: (Where | undefined)[] = new Array(lines.length);
  const itemLines = new Set<number>();
  const mark = (from: number, to: number, reason: string) => {
    for (let i = from; i < to && i < lines.length; i++) where[i] = { reason, lazy: false };
  };

  for (const t of md.parse(rewritten.join('\n'), {})) {
    if (!t.map) continue;
    const [start, end] = t.map;
    if (t.type === 'fence') mark(start, end, 'inside a code block');
    else if (t.type === 'code_block') mark(start, end, 'inside an indented code block');
    else if (t.type === 'html_block')
      mark(start, end, t.content.trimStart().startsWith('<!--') ? 'inside an HTML comment' : 'inside an HTML block');
    else if (t.type === 'blockquote_open') {
      // A line without `>` is a lazy continuation: it stands at the level it is written at.
      for (let i = start; i < end; i++) {
        if (/^\s*>/.test(lines[i])) where[i] = { reason: 'inside a block quote', lazy: false };
        else if (!where[i]) where[i] = { reason: 'continuation of a block quote', lazy: true };
      }
    } else if (t.type === 'paragraph_open' && t.level === 0) {
      for (let i = start + 1; i < end; i++)
        where[i] = { reason: `continuation of the paragraph on line ${start + 1}`, lazy: true };
    } else if (t.type === 'list_item_open' && t.level === 1) {
      if (t.markup === '.' && itemText(lines[start])) itemLines.add(start);
      const inside = contentColumn(rewritten[start]);
      for (let i = start + 1; i < end; i++) {
        if (!lines[i].trim()) continue;
        where[i] =
          indentOf(rewritten[i]) >= inside
            ? { reason: `nested under the list item on line ${start + 1}`, lazy: false }
            : { reason: `continuation of the item on line ${start + 1}`, lazy: true };
      }
    }
  }

  const out: AnalysedBacklog = { items: [], malformed: [], ignored: [] };
  lines.forEach((raw, i) => {
    const line = i + 1;
    if (itemLines.has(i)) return void out.items.push({ text: itemText(raw), line });
    if (!STARTS_WITH_DIGIT.test(raw)) return;
    const w = where[i];
    // A numbered line is ignored for where it is; any other digit-first line is
    // malformed unless markdown put it out of the backlog's reach (code, quote, …).
    if (itemText(raw)) out.ignored.push({ line, content: raw, reason: w?.reason ?? 'not a list item' });
    else if (w && !w.lazy) out.ignored.push({ line, content: raw, reason: w.reason });
    else out.malformed.push({ line, content: raw });
  });
  return out;
}
