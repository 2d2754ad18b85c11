import { createHash } from 'node:crypto';
import type { BacklogItem, ItemSource } from '../shared/contracts/pipeline';
import { analyseBacklog, type MalformedLine, type ParsedLine } from './markdown';

export type { IgnoredLine, MalformedLine, ParsedLine } from './markdown';
export { analyseBacklog } from './markdown';

/** The backlog's items: its top-level numbered list items, in file order (see markdown.ts). */
export function parseBacklog(content: string): ParsedLine[] {
  return analyseBacklog(content).items;
}

/**
 * Lines that start with a digit, are not `N. text` and are not out of reach in code, a quote, … (what `backlog --check`
 * fails on).
 */
export function findMalformedLines(content: string): MalformedLine[] {
  return analyseBacklog(content).malformed;
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
