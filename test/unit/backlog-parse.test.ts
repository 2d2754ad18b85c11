import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBacklog } from '../../src/backlog/load';
import { findMalformedLines, itemKey, parseBacklog, toBacklogItems } from '../../src/backlog/parse';

const texts = (content: string): string[] => parseBacklog(content).map((l) => l.text);
const KEY_FORM = /^[a-z0-9]+(?:-[a-z0-9]+)*-[0-9a-f]{10}$/;

describe('parseBacklog', () => {
  test('when a file mixes numbered and unnumbered lines (the reference malformed example), then only the numbered items are returned', () => {
    const content = [
      '# Backlog',
      '',
      'First item without a number',
      '1. First item',
      'Some prose here',
      '- a bullet',
      '2. Second item',
      'Third item missing its number',
      '',
    ].join('\n');
    expect(texts(content)).toEqual(['First item', 'Second item']);
  });

  test('when numbered lines are indented up to 3 spaces at the top level, then they still count as items', () => {
    expect(texts('  1. Indented with spaces\n   2. Indented more\n 10. Indented less')).toEqual([
      'Indented with spaces',
      'Indented more',
      'Indented less',
    ]);
  });

  test('when a numbered line is indented to the content of the item above, then it is a sub-item of that item, not an item (issue 21)', () => {
    expect(texts('  1. Parent\n      10. Deeply indented\n\t2. Tab to column 4: a continuation of the parent')).toEqual(
      ['Parent'],
    );
  });

  test('when lines use `1)`, `1.foo`, bullets or headings, then they are ignored', () => {
    const content = [
      '1) paren style',
      '1.foo no space',
      '- 1. bullet with number',
      '* bullet',
      '## Phase 1',
      '## 1. Heading with number',
      '3. Real item',
    ].join('\n');
    expect(texts(content)).toEqual(['Real item']);
  });

  test('when item text contains markdown, then it is kept verbatim (only surrounding whitespace stripped)', () => {
    expect(texts('1.   Add **bold** `code` and [a link](http://x.y/z?a=1)   ')).toEqual([
      'Add **bold** `code` and [a link](http://x.y/z?a=1)',
    ]);
  });

  test('when numbers have gaps, duplicates or restarts, then file order is kept and numbers are ignored', () => {
    expect(texts('5. A\n5. B\n1. C\n99. D')).toEqual(['A', 'B', 'C', 'D']);
  });

  test('when a section is marked DONE, then its items are still parsed', () => {
    expect(texts('## Phase 1 (DONE)\n1. Old item\n## Phase 2\n2. New item')).toEqual(['Old item', 'New item']);
  });

  test('when the file uses CRLF line endings, then item texts carry no carriage return', () => {
    expect(texts('1. A\r\n2. B\r\n')).toEqual(['A', 'B']);
  });

  test('when a file is empty or has no numbered lines, then the result is empty', () => {
    expect(parseBacklog('')).toEqual([]);
    expect(parseBacklog('# Title\n\nprose only\n- bullet\n1) nope\n')).toEqual([]);
  });

  test('when items are parsed, then each carries its 1-based line number', () => {
    expect(parseBacklog('# t\n\n1. A\nx\n2. B')).toEqual([
      { text: 'A', line: 3 },
      { text: 'B', line: 5 },
    ]);
  });
});

describe('findMalformedLines', () => {
  test('when lines start with a digit but are not `N. text`, then they are reported with 1-based line numbers and raw content', () => {
    const content = [
      '# Backlog',
      '1. Good item',
      '2) paren',
      '3.nospace',
      'prose',
      '  4) indented paren',
      '2024 was a year',
      '5. Another good one',
      '- 6) bullet is not digit-first',
    ].join('\n');
    expect(findMalformedLines(content)).toEqual([
      { line: 3, content: '2) paren' },
      { line: 4, content: '3.nospace' },
      { line: 6, content: '  4) indented paren' },
      { line: 7, content: '2024 was a year' },
    ]);
  });

  test('when a numbered line has no text after the dot, then it is reported as malformed', () => {
    expect(findMalformedLines('1. ok\n2.   \n')).toEqual([{ line: 2, content: '2.   ' }]);
  });

  test('when every digit-first line is well formed, then nothing is reported', () => {
    expect(findMalformedLines('# h\n1. a\n  2. b\nprose 3) x\n')).toEqual([]);
  });
});

describe('itemKey', () => {
  test('when the same text appears with a different number or position, then the key is identical', () => {
    const a = parseBacklog('1. Add login page\n2. Other');
    const b = parseBacklog('1. Other\n\n\n17. Add login page');
    expect(itemKey(a[0].text)).toBe(itemKey(b[1].text));
  });

  test('when only surrounding/inner whitespace or case differ, then the key is identical', () => {
    const k = itemKey('Add login page');
    expect(itemKey('  add   LOGIN\tpage  ')).toBe(k);
    expect(itemKey('ADD LOGIN PAGE')).toBe(k);
  });

  test('when texts differ, then keys differ', () => {
    expect(itemKey('Add login page')).not.toBe(itemKey('Add logout page'));
    expect(itemKey('Add login page')).not.toBe(itemKey('Add login page!'));
  });

  test('when a key is built, then it has the form `<slug>-<10 hex>` with a slug from the text', () => {
    const k = itemKey('Add **login** page (v2)');
    expect(k).toMatch(KEY_FORM);
    expect(k.startsWith('add-login-page-v2-')).toBe(true);
    expect(k.slice(-10)).toMatch(/^[0-9a-f]{10}$/);
  });

  test('when the text is very long, then the slug part is at most 40 characters', () => {
    const k = itemKey('word '.repeat(50));
    expect(k).toMatch(KEY_FORM);
    expect(k.length - 11).toBeLessThanOrEqual(40);
  });

  test('when the text has no ascii letters or digits, then the key still has a non-empty slug', () => {
    expect(itemKey('日本語のテキスト')).toMatch(/^item-[0-9a-f]{10}$/);
  });
});

describe('toBacklogItems', () => {
  test('when the same item appears twice in one file, then it collapses to one item (first occurrence kept)', () => {
    const items = toBacklogItems(parseBacklog('1. Add login\n2. Other\n3. add   LOGIN'), 'product', 'b.md');
    expect(items.map((i) => i.text)).toEqual(['Add login', 'Other']);
    expect(items[0]).toEqual({
      key: itemKey('Add login'),
      text: 'Add login',
      source: 'product',
      file: 'b.md',
      line: 1,
    });
  });
});

describe('loadBacklog', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-backlog-'));
    fs.mkdirSync(path.join(root, 'specs'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const write = (rel: string, content: string) => fs.writeFileSync(path.join(root, rel), content);

  test('when both files exist, then product and meta items come back in combined order with source and file', async () => {
    write(
      'specs/product.md',
      '# P\n' + ['P1', 'P2', 'P3', 'P4', 'P5', 'P6'].map((t, i) => `${i + 1}. ${t}`).join('\n') + '\n',
    );
    write('specs/meta.md', '1. M1\n2. M2\n');
    const loaded = await loadBacklog({
      projectRoot: root,
      productBacklog: 'specs/product.md',
      metaBacklog: 'specs/meta.md',
      metaRatio: 0.2,
    });
    expect(loaded.items.map((i) => i.text)).toEqual(['P1', 'P2', 'P3', 'P4', 'M1', 'P5', 'P6', 'M2']);
    expect(loaded.items.map((i) => i.source)).toEqual([
      'product',
      'product',
      'product',
      'product',
      'meta',
      'product',
      'product',
      'meta',
    ]);
    expect(loaded.items[0]).toMatchObject({ file: 'specs/product.md', line: 2, key: itemKey('P1') });
    expect(loaded.items[4]).toMatchObject({ file: 'specs/meta.md', line: 1 });
    expect(loaded.warnings).toEqual([]);
    expect(loaded.malformed).toEqual([]);
  });

  test('when the product file is missing, then it is treated as empty with a warning', async () => {
    write('specs/meta.md', '1. M1\n2. M2\n');
    const loaded = await loadBacklog({
      projectRoot: root,
      productBacklog: 'specs/missing.md',
      metaBacklog: 'specs/meta.md',
      metaRatio: 0.2,
    });
    expect(loaded.items.map((i) => i.text)).toEqual(['M1', 'M2']);
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toContain('specs/missing.md');
  });

  test('when files contain malformed lines, then they are returned per file', async () => {
    write('specs/product.md', '1. Good\n2) bad\n3. Also good\n');
    write('specs/meta.md', '1.bad meta\n2. M\n');
    const loaded = await loadBacklog({
      projectRoot: root,
      productBacklog: 'specs/product.md',
      metaBacklog: 'specs/meta.md',
      metaRatio: 0.5,
    });
    expect(loaded.malformed).toEqual([
      { file: 'specs/product.md', lines: [{ line: 2, content: '2) bad' }] },
      { file: 'specs/meta.md', lines: [{ line: 1, content: '1.bad meta' }] },
    ]);
    expect(loaded.items.map((i) => i.text)).toEqual(['Good', 'M', 'Also good']);
  });

  test('when the meta ratio is 0, then meta items are not included', async () => {
    write('specs/product.md', '1. P1\n2. P2\n');
    write('specs/meta.md', '1. M1\n');
    const loaded = await loadBacklog({
      projectRoot: root,
      productBacklog: 'specs/product.md',
      metaBacklog: 'specs/meta.md',
      metaRatio: 0,
    });
    expect(loaded.items.map((i) => i.text)).toEqual(['P1', 'P2']);
  });

  test('when a meta item has the same text as a product item, then it runs only once (as the product item)', async () => {
    write('specs/product.md', '1. Shared item\n2. P2\n');
    write('specs/meta.md', '1. shared ITEM\n2. M2\n');
    const loaded = await loadBacklog({
      projectRoot: root,
      productBacklog: 'specs/product.md',
      metaBacklog: 'specs/meta.md',
      metaRatio: 1,
    });
    expect(loaded.items.map((i) => [i.text, i.source])).toEqual([
      ['M2', 'meta'],
      ['Shared item', 'product'],
      ['P2', 'product'],
    ]);
  });
});
