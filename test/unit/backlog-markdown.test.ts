import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyseBacklog, parseBacklog, toBacklogItems } from '../../src/backlog/parse';
import { DEMO_ITEMS, DEMO_META_ITEMS, ensureDemoProject } from '../../src/cli/demo-project';

/** The backlog as markdown (contract section 4, issue 21): only top-level numbered list items are work. */
const texts = (content: string): string[] => parseBacklog(content).map((l) => l.text);
const ignored = (content: string) => analyseBacklog(content).ignored.map((l) => [l.line, l.reason]);
const md = (...lines: string[]) => lines.join('\n') + '\n';

describe('the backlog is markdown: blocks that are not work', () => {
  test('when a fenced code block holds numbered lines, then they are not items and are reported as inside a code block', () => {
    const content = md(
      '# Backlog',
      '1. Real item',
      '```ts',
      '1. sample code line',
      '2. another one',
      '```',
      '2. Second real item',
      '~~~',
      '3. tilde fence',
      '~~~',
    );
    expect(texts(content)).toEqual(['Real item', 'Second real item']);
    expect(ignored(content)).toEqual([
      [4, 'inside a code block'],
      [5, 'inside a code block'],
      [9, 'inside a code block'],
    ]);
    expect(analyseBacklog(content).malformed).toEqual([]);
  });

  test('when a fence sits inside an item, then its numbered lines are reported as code, not as sub-items', () => {
    const content = md(
      '1. Item with a sample',
      '   ```',
      '   2. code',
      '   2024 is a number in code',
      '   ```',
      '2. Next',
    );
    expect(texts(content)).toEqual(['Item with a sample', 'Next']);
    expect(ignored(content)).toEqual([
      [3, 'inside a code block'],
      [4, 'inside a code block'],
    ]);
  });

  test('when a digit-first line that is not `N. text` is inside a fence, then it is not malformed', () => {
    const content = md('1. A', '', '```', '2) not an item', '2024 was a year', '```');
    expect(analyseBacklog(content).malformed).toEqual([]);
    expect(ignored(content)).toEqual([
      [4, 'inside a code block'],
      [5, 'inside a code block'],
    ]);
  });

  test('when numbered lines are indented code (4 spaces or a tab after a blank line), then they are not items', () => {
    const content = md(
      '# Backlog',
      '',
      '1. Real',
      '',
      'Sample:',
      '',
      '    1. code line',
      '\t2. tab code line',
      '',
      '2. Also real',
    );
    expect(texts(content)).toEqual(['Real', 'Also real']);
    expect(ignored(content)).toEqual([
      [7, 'inside an indented code block'],
      [8, 'inside an indented code block'],
    ]);
  });

  test('when numbered lines are inside an HTML comment, then they are not items', () => {
    const content = md(
      '1. Live item',
      '',
      '<!--',
      '2. commented out',
      '3. also commented out',
      '-->',
      '4. Live again',
      '<!-- 5. one-line comment -->',
    );
    expect(texts(content)).toEqual(['Live item', 'Live again']);
    expect(ignored(content)).toEqual([
      [4, 'inside an HTML comment'],
      [5, 'inside an HTML comment'],
    ]);
  });

  test('when numbered lines are inside an HTML block, then they are not items', () => {
    const content = md('<details>', '1. hidden', '</details>', '', '1. Shown');
    expect(texts(content)).toEqual(['Shown']);
    expect(ignored(content)).toEqual([[2, 'inside an HTML block']]);
  });

  test('when numbered lines are in a block quote, then they are not items', () => {
    const content = md(
      '> Quoted plan:',
      '> 1. quoted step',
      '> 2. another',
      '>',
      '> 3. after a blank quote line',
      '',
      '1. Real item',
    );
    expect(texts(content)).toEqual(['Real item']);
    expect(analyseBacklog(content).ignored).toEqual([]); // not digit-first: nothing to report
    expect(analyseBacklog(content).malformed).toEqual([]);
  });

  test('when a block quote sits inside an item, then digit-first lines in it are reported as quoted', () => {
    const content = md('1. Item', '   > 2) quoted', '   > 2024 quoted', '2. Next');
    expect(texts(content)).toEqual(['Item', 'Next']);
    expect(analyseBacklog(content).malformed).toEqual([]);
  });

  test('when a digit-first line lazily continues a block quote, then it stands at the top level: malformed, or an item when it is `N. text`', () => {
    const content = md(
      '> A quote',
      '2024 lazily continues the quote',
      '',
      '> Another quote',
      '2. An item right after the quote',
    );
    expect(analyseBacklog(content).malformed).toEqual([{ line: 2, content: '2024 lazily continues the quote' }]);
    expect(texts(content)).toEqual(['An item right after the quote']);
  });

  test('when an item has a nested numbered sub-list, then the sub-items belong to it and are not work of their own', () => {
    const content = md(
      '1. Parent item',
      '   1. first step',
      '   2. second step',
      '      1. deeper',
      '2. Next item',
      '  3. Sibling indented by two',
    );
    expect(texts(content)).toEqual(['Parent item', 'Next item', 'Sibling indented by two']);
    expect(ignored(content)).toEqual([
      [2, 'nested under the list item on line 1'],
      [3, 'nested under the list item on line 1'],
      [4, 'nested under the list item on line 1'],
    ]);
  });

  test('when a numbered sub-list starts at N ≠ 1 under an item, then it is still under the item (not a new item)', () => {
    const content = md('1. Parent', '   2. not work', '   3. not work either', '2. Next');
    expect(texts(content)).toEqual(['Parent', 'Next']);
  });

  test('when a numbered list is nested under a bullet, then its items are not work', () => {
    const content = md('- a bullet', '  1. nested numbered', '- 2. numbered bullet', '', '1. Work');
    expect(texts(content)).toEqual(['Work']);
    expect(ignored(content)).toEqual([[2, 'nested under the list item on line 1']]);
  });

  test('when an item has continuation lines, then its text is its first line only and the rest is not an item', () => {
    const content = md(
      '1. Add login',
      '   with a remember-me box',
      '   and 2FA',
      'a lazy continuation line',
      '2. Add logout',
    );
    expect(parseBacklog(content)).toEqual([
      { text: 'Add login', line: 1 },
      { text: 'Add logout', line: 5 },
    ]);
    expect(analyseBacklog(content).ignored).toEqual([]);
  });

  test('when a digit-first line lazily continues an item, then it is still malformed (as under the line rule)', () => {
    const content = md('1. Item', '2024 was a year', '   2025 indented under the item');
    expect(analyseBacklog(content).malformed).toEqual([{ line: 2, content: '2024 was a year' }]);
    expect(ignored(content)).toEqual([[3, 'nested under the list item on line 1']]);
  });

  test('when the first line of an item is empty, then it is not an item and is malformed', () => {
    const content = md('1.', '   text on the next line', '2. Fine');
    expect(texts(content)).toEqual(['Fine']);
    expect(analyseBacklog(content).malformed).toEqual([{ line: 1, content: '1.' }]);
  });
});

describe('backlogs written for the line rule keep their items', () => {
  test('when a numbered line with N ≠ 1 follows a paragraph line, then it is an item (strict CommonMark would continue the paragraph)', () => {
    const content = md('Work items, one per line:', '2. Second', '3. Third', 'Trailing prose', '7. Seventh');
    expect(texts(content)).toEqual(['Second', 'Third', 'Seventh']);
    expect(analyseBacklog(content).ignored).toEqual([]);
  });

  test('when a numbered line follows a bullet or a quote line, then it is an item', () => {
    expect(texts(md('- a bullet', '5. After the bullet', '> a quote', '6. After the quote'))).toEqual([
      'After the bullet',
      'After the quote',
    ]);
  });

  test('when a numbered line follows a paragraph and a heading underline would follow, then it is still an item', () => {
    expect(texts(md('Prose', '2. Item', '---'))).toEqual(['Item']);
  });

  test('when an item uses a tab or a wide number, then its text is what the line rule captured', () => {
    expect(texts(md('Intro', '12.\tTabbed **bold**  ', '123456789.  Wide'))).toEqual(['Tabbed **bold**', 'Wide']);
  });
});

describe('a byte-order mark', () => {
  test('when the file starts with a BOM, then a fence on its first line is still a fence and an item is still an item', () => {
    expect(texts('\ufeff```\n1. code\n```\n1. Item\n')).toEqual(['Item']);
    expect(parseBacklog('\ufeff1. First\n2. Second\n')).toEqual([
      { text: 'First', line: 1 },
      { text: 'Second', line: 2 },
    ]);
  });
});

describe('CRLF line endings', () => {
  test('when the file uses CRLF, then items, lines, code blocks and malformed lines are found as with LF', () => {
    const lf = md(
      '# B',
      'Prose',
      '2. After prose',
      '```',
      '3. code',
      '```',
      '4) paren',
      '   1. under paren',
      '5. Last **one**',
    );
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(analyseBacklog(crlf)).toEqual(analyseBacklog(lf));
    expect(parseBacklog(crlf)).toEqual([
      { text: 'After prose', line: 3 },
      { text: 'Last **one**', line: 9 },
    ]);
    expect(analyseBacklog(crlf).malformed).toEqual([{ line: 7, content: '4) paren' }]);
    expect(ignored(crlf)).toEqual([
      [5, 'inside a code block'],
      [8, 'nested under the list item on line 7'],
    ]);
  });
});

/**
 * The line rule before issue 21, kept as the oracle: for a backlog with no
 * code, comments, quotes or sub-lists, it and the markdown parser must give
 * the same items, so item keys (the pipeline's memory of what is done) never change.
 */
function oldLineRule(content: string): { text: string; line: number }[] {
  const items: { text: string; line: number }[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const m = /^\s*\d+\.\s+(.+)$/.exec(raw);
    if (!m) return;
    const text = m[1].trim();
    if (text) items.push({ text, line: index + 1 });
  });
  return items;
}

const keysOld = (content: string) =>
  toBacklogItems(oldLineRule(content), 'product', 'b.md').map((i) => [i.key, i.line]);
const keysNew = (content: string) =>
  toBacklogItems(parseBacklog(content), 'product', 'b.md').map((i) => [i.key, i.line]);

describe('key stability', () => {
  const seedDir = path.resolve(__dirname, '../../../shared/seed-formats');
  const seeds = fs.existsSync(seedDir) ? fs.readdirSync(seedDir).filter((f) => f.endsWith('-backlog.md')) : [];
  if (!seeds.length) console.warn(`seed backlogs not found in ${seedDir}: their key-stability test is skipped`);

  (seeds.length ? test.each(seeds) : test.skip.each(['(no seed backlog)']))(
    'when the seed backlog %s is read, then its item keys are exactly those of the line rule',
    (file) => {
      const content = fs.readFileSync(path.join(seedDir, file), 'utf8');
      const old = keysOld(content);
      expect(old.length).toBeGreaterThan(4);
      expect(keysNew(content)).toEqual(old);
      expect(keysNew(content.replace(/\n/g, '\r\n'))).toEqual(old);
    },
  );

  test('when the demo project backlogs are read, then their item keys are exactly those of the line rule', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-demo-keys-'));
    try {
      await ensureDemoProject(root);
      const product = fs.readFileSync(path.join(root, 'specs', '006-overnight-backlog.md'), 'utf8');
      const meta = fs.readFileSync(path.join(root, 'specs', '007-meta-pipeline-backlog.md'), 'utf8');
      expect(keysNew(product)).toEqual(keysOld(product));
      expect(keysNew(meta)).toEqual(keysOld(meta));
      expect(texts(product)).toEqual(DEMO_ITEMS);
      expect(texts(meta)).toEqual(DEMO_META_ITEMS);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('when a line-rule backlog mixes prose, headings, bullets, indents and renumbering, then the keys match the line rule', () => {
    const content = md(
      '# Backlog',
      'Intro prose right above the items',
      '3. Third written first',
      '1. Add **bold** `code` [link](http://x.y/z?a=1)   ',
      '## Phase 2 (DONE)',
      '  10. Indented by two',
      '- a bullet',
      '11. After the bullet',
      'Some prose',
      '12. After prose',
      '',
      '99. Last',
    );
    expect(keysNew(content)).toEqual(keysOld(content));
    expect(keysNew(content)).toHaveLength(6);
  });
});
