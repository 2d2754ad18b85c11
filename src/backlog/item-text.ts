import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BacklogItem, TextExcerptOf } from '../shared/contracts/pipeline';

/**
 * A backlog read travels through Temporal as one payload (2 MiB at most), so
 * its item texts are bounded: a long text is cut to an excerpt and its whole
 * text is kept in `<state dir>/item-texts/<key>.txt`, where the item reads it
 * by key when it builds its directions (issue 19).
 */

/** An item text longer than this travels as an excerpt of this many characters. */
export const ITEM_EXCERPT_CHARS = 2000;
/** All texts of one backlog read together, in characters: past it, every excerpt gets shorter. */
export const BACKLOG_TEXT_BUDGET_CHARS = 256 * 1024;
const MIN_EXCERPT_CHARS = 100;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function itemTextFile(stateDir: string, key: string): string {
  return path.join(stateDir, 'item-texts', `${key}.txt`);
}

/** The first `chars` characters, never half a surrogate pair. */
export function excerpt(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const cut = text.slice(0, chars);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** How long an excerpt may be for this many items: 2,000 characters, less when the budget would not hold them. */
export function excerptChars(itemCount: number): number {
  if (itemCount <= 0) return ITEM_EXCERPT_CHARS;
  return Math.max(MIN_EXCERPT_CHARS, Math.min(ITEM_EXCERPT_CHARS, Math.floor(BACKLOG_TEXT_BUDGET_CHARS / itemCount)));
}

/** Items whose whole texts fit stay as they are; the others get an excerpt and `excerptOf`. */
export function boundItemTexts(items: BacklogItem[]): { items: BacklogItem[]; cut: BacklogItem[] } {
  const total = items.reduce((n, i) => n + Math.min(i.text.length, ITEM_EXCERPT_CHARS), 0);
  const limit = total <= BACKLOG_TEXT_BUDGET_CHARS ? ITEM_EXCERPT_CHARS : excerptChars(items.length);
  const cut: BacklogItem[] = [];
  const bounded = items.map((item) => {
    if (item.text.length <= limit) return item;
    cut.push(item);
    const excerptOf: TextExcerptOf = { length: item.text.length, sha256: sha256(item.text) };
    return { ...item, text: excerpt(item.text, limit), excerptOf };
  });
  return { items: bounded, cut };
}

/** Keeps an item's whole text for the item to read by key (written whole or not at all). */
export async function storeItemText(stateDir: string, key: string, text: string): Promise<void> {
  const file = itemTextFile(stateDir, key);
  try {
    if ((await readFile(file, 'utf8')) === text) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/**
 * The whole text of an item, or null when it is not kept. A text under the key
 * is that item's (the key is made from the normalised text), even when an edit
 * of case or spacing since the read changed its sha.
 */
export async function readItemText(stateDir: string, key: string): Promise<string | null> {
  try {
    return await readFile(itemTextFile(stateDir, key), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}
