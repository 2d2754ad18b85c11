import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createReadBacklog, createReadItemText } from '../../src/activities/backlog';
import {
  BACKLOG_TEXT_BUDGET_CHARS,
  ITEM_EXCERPT_CHARS,
  boundItemTexts,
  excerpt,
  itemTextFile,
  sha256,
} from '../../src/backlog/item-text';
import { itemKey } from '../../src/backlog/parse';
import type { BacklogItem } from '../../src/shared/contracts/pipeline';

/** A backlog read is one Temporal payload (2 MiB at most): long item texts travel as excerpts (issue 19). */
const TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024;
const item = (text: string): BacklogItem => ({ key: itemKey(text), text, source: 'product', file: 'b.md', line: 1 });

describe('excerpt', () => {
  test('when a text is cut, then it never ends in half a surrogate pair', () => {
    expect(excerpt('ab😀cd', 3)).toBe('ab');
    expect(excerpt('ab😀cd', 4)).toBe('ab😀');
    expect(excerpt('short', 10)).toBe('short');
  });
});

describe('boundItemTexts', () => {
  test('when every text is short, then the items come back as they are, with no excerptOf', () => {
    const items = [item('Add a login page'), item('x'.repeat(ITEM_EXCERPT_CHARS))];
    expect(boundItemTexts(items)).toEqual({ items, cut: [] });
  });

  test('when a text is longer than the excerpt, then it becomes its first 2,000 characters with the whole length and sha', () => {
    const long = 'Implement ' + 'y'.repeat(50_000);
    const { items, cut } = boundItemTexts([item('short'), item(long)]);
    expect(items[0]).toEqual(item('short'));
    expect(items[1]).toEqual({
      ...item(long),
      text: long.slice(0, ITEM_EXCERPT_CHARS),
      excerptOf: { length: long.length, sha256: sha256(long) },
    });
    expect(cut).toEqual([item(long)]);
  });

  test('when many texts together pass the budget, then every excerpt shrinks so the texts stay within it', () => {
    const items = Array.from({ length: 1000 }, (_, i) => item(`Item ${i} ` + 'z'.repeat(1500)));
    const bounded = boundItemTexts(items).items;
    expect(bounded.reduce((n, i) => n + i.text.length, 0)).toBeLessThanOrEqual(BACKLOG_TEXT_BUDGET_CHARS);
    expect(bounded.every((i) => i.excerptOf && i.text.startsWith(`Item `))).toBe(true);
    expect(new Set(bounded.map((i) => i.key)).size).toBe(1000); // keys are from the whole texts
  });
});

describe('the readBacklog and readItemText activities', () => {
  let root: string;
  const stateDir = () => path.join(root, '.nightshift');
  const input = () => ({
    projectRoot: root,
    stateDir: stateDir(),
    productBacklog: 'specs/006-overnight-backlog.md',
    metaBacklog: 'specs/007-meta-pipeline-backlog.md',
    metaRatio: 0,
  });
  const write = (content: string) => fs.writeFileSync(path.join(root, 'specs', '006-overnight-backlog.md'), content);
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-item-text-'));
    fs.mkdirSync(path.join(root, 'specs'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const big = (n: number) => (`Item ${n}: ` + `word${n} `.repeat(150_000)).trimEnd(); // ~1 MiB each

  test('when the items add up to more than 2 MiB, then the result is a small payload and each whole text is kept by key', async () => {
    const texts = [big(1), big(2), big(3)];
    write(`# B\n\n1. Short one\n${texts.map((t, i) => `${i + 2}. ${t}`).join('\n')}\n`);
    const result = await createReadBacklog()(input());
    expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(TEMPORAL_PAYLOAD_LIMIT / 8);
    expect(result.items.map((i) => i.key)).toEqual(['Short one', ...texts].map(itemKey));
    expect(result.items[0].excerptOf).toBeUndefined();
    for (const [n, text] of texts.entries()) {
      const it = result.items[n + 1];
      expect(it.text).toBe(text.slice(0, ITEM_EXCERPT_CHARS));
      expect(it.excerptOf).toEqual({ length: text.length, sha256: sha256(text) });
      expect(fs.readFileSync(itemTextFile(stateDir(), it.key), 'utf8')).toBe(text);
      expect(await createReadItemText()({ ...input(), itemKey: it.key })).toEqual({ text });
    }
    expect(fs.existsSync(itemTextFile(stateDir(), itemKey('Short one')))).toBe(false);
  });

  test('when the kept text is gone, then readItemText reads the backlog again; when the item is gone too, it answers null', async () => {
    const text = big(7);
    write(`1. ${text}\n`);
    const { items } = await createReadBacklog()(input());
    fs.rmSync(path.join(stateDir(), 'item-texts'), { recursive: true });
    expect(await createReadItemText()({ ...input(), itemKey: items[0].key })).toEqual({ text });
    expect(fs.readFileSync(itemTextFile(stateDir(), items[0].key), 'utf8')).toBe(text);
    fs.rmSync(path.join(stateDir(), 'item-texts'), { recursive: true });
    write('1. Something else\n');
    expect(await createReadItemText()({ ...input(), itemKey: items[0].key })).toEqual({ text: null });
  });

  test('when the whole text cannot be kept (the state dir is not writable), then the read still answers and the item reads the backlog', async () => {
    const text = big(9);
    write(`1. ${text}\n`);
    fs.mkdirSync(stateDir(), { recursive: true });
    fs.writeFileSync(path.join(stateDir(), 'item-texts'), 'a file where the folder should be');
    const result = await createReadBacklog()(input());
    expect(result.items[0].excerptOf?.length).toBe(text.length);
    expect(result.warnings).toEqual([expect.stringContaining(`item text not kept for ${result.items[0].key}`)]);
    expect(await createReadItemText()({ ...input(), itemKey: result.items[0].key })).toEqual({ text });
  });

  test('when items.jsonl remembers items no longer in the backlog, then only the outcomes of current items are returned', async () => {
    write('1. Still here\n');
    fs.mkdirSync(stateDir(), { recursive: true });
    const line = (key: string) =>
      JSON.stringify({ key, outcome: 'passed', position: null, at: '2026-01-01T00:00:00.000Z' });
    fs.writeFileSync(
      path.join(stateDir(), 'items.jsonl'),
      Array.from({ length: 3000 }, (_, i) => line(`gone-${i}`))
        .concat(line(itemKey('Still here')))
        .join('\n') + '\n',
    );
    const { outcomes } = await createReadBacklog()(input());
    expect(Object.keys(outcomes)).toEqual([itemKey('Still here')]);
  });

  test('when a backlog has thousands of malformed lines, then the warnings are bounded and say how many more there are', async () => {
    write('1. Good\n' + Array.from({ length: 5000 }, (_, i) => `${i}) bad`).join('\n') + '\n');
    const { warnings } = await createReadBacklog()(input());
    expect(warnings).toHaveLength(51);
    expect(warnings[0]).toBe("006-overnight-backlog.md:2: expected 'N. text'");
    expect(warnings[50]).toBe('… and 4950 more (nightshift backlog --check)');
  });
});
