import { createHash } from 'node:crypto';
import type { BacklogItem, ItemSource } from '../shared/types';

/** An item is `N. text`; indentation allowed; the text keeps its markdown. */
const ITEM_LINE = /^\s*\d+\.\s+(.+)$/;
const STARTS_WITH_DIGIT = /^\s*\d/;

export interface ParsedLine {
  text: string;
  line: number;
}

export interface MalformedLine {
  line: number;
  content: string;
}

export function parseBacklog(content: string): ParsedLine[] {
  const items: ParsedLine[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const m = ITEM_LINE.exec(raw);
    if (!m) return;
    const text = m[1].trim();
    if (text) items.push({ text, line: index + 1 });
  });
  return items;
}

/** Lines that start with a digit but are not `N. text` (what `backlog --check` reports). */
export function findMalformedLines(content: string): MalformedLine[] {
  const bad: MalformedLine[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    if (STARTS_WITH_DIGIT.test(raw) && !(ITEM_LINE.exec(raw)?.[1].trim() ?? '')) {
      bad.push({ line: index + 1, content: raw });
    }
  });
  return bad;
}

export function normaliseItemText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function slugify(text: string, maxLength = 40): string {
  const slug = text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, maxLength).replace(/-+$/g, '') || 'item';
}

/**
 * A stable key from the normalised text, not the line or number: editing,
 * renumbering or reordering a backlog never makes the pipeline redo or skip an item.
 */
export function itemKey(text: string): string {
  const normalised = normaliseItemText(text);
  const hash = createHash('sha256').update(normalised).digest('hex').slice(0, 10);
  return `${slugify(normalised, 40)}-${hash}`;
}

export function toBacklogItems(lines: ParsedLine[], source: ItemSource, file: string): BacklogItem[] {
  const seen = new Set<string>();
  const items: BacklogItem[] = [];
  for (const { text, line } of lines) {
    const key = itemKey(text);
    if (seen.has(key)) continue; // the same item twice runs once
    seen.add(key);
    items.push({ key, text, source, file, line });
  }
  return items;
}
