import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkBacklog } from '../../src/backlog/check';
import { loadBacklog } from '../../src/backlog/load';
import { ARGV_DIRECTION_LIMIT_BYTES } from '../../src/shared/limits';
import { runCli } from '../helpers/cli';

/** `nightshift backlog --check` (contract section 2 and 4; issues 19 and 21), run as the real CLI. */
describe('backlog --check', () => {
  let root: string;
  const backlog = () => path.join(root, 'specs', '006-overnight-backlog.md');
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-backlog-check-'));
    fs.mkdirSync(path.join(root, 'specs'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const check = (...args: string[]) =>
    runCli(['backlog', '--check', '--project', root, ...args], { PIPELINE_META_RATIO: '0' });

  test('when a numbered line is a code sample in a fence, then it is not counted and the check says it ignored it and why', async () => {
    fs.writeFileSync(backlog(), '# Backlog\n\n1. Add a parser\n\n```\n1. sample code\n```\n');
    const r = await check();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('specs/006-overnight-backlog.md:6: ignored: inside a code block');
    expect(r.stdout).toContain('OK: 1 items');
  });

  test('when lines are ignored for where they are and others are malformed, then each gets its line and malformed lines exit 1', async () => {
    fs.writeFileSync(
      backlog(),
      [
        '# B',
        '1. Good item',
        '   2. a sub-step',
        '<!--',
        '3. commented',
        '-->',
        '> 4. quoted',
        '2.Missing space',
        '3) paren',
        '5. Another good one',
      ].join('\n') + '\n',
    );
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('specs/006-overnight-backlog.md:3: ignored: nested under the list item on line 2');
    expect(r.stdout).toContain('specs/006-overnight-backlog.md:5: ignored: inside an HTML comment');
    expect(r.stdout).toContain("specs/006-overnight-backlog.md:8: expected 'N. text'");
    expect(r.stdout).toContain("specs/006-overnight-backlog.md:9: expected 'N. text'");
    expect(r.stdout).not.toContain(':7:'); // quoted, not digit-first: nothing to say
    expect(r.stdout).not.toContain('OK:');
    const json = await check('--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      problems: [
        "specs/006-overnight-backlog.md:8: expected 'N. text'",
        "specs/006-overnight-backlog.md:9: expected 'N. text'",
      ],
      ignored: [
        'specs/006-overnight-backlog.md:3: ignored: nested under the list item on line 2',
        'specs/006-overnight-backlog.md:5: ignored: inside an HTML comment',
      ],
    });
    const list = await runCli(['backlog', '--json', '--project', root], { PIPELINE_META_RATIO: '0' });
    expect(JSON.parse(list.stdout).items.map((i: { text: string }) => i.text)).toEqual([
      'Good item',
      'Another good one',
    ]);
  });

  test('when an item is over 32 KiB, then the check warns that its direction goes through the prompt file and still passes', async () => {
    const long = 'Implement ' + 'é'.repeat(ARGV_DIRECTION_LIMIT_BYTES / 2); // 2 bytes each: over the limit in bytes, not in characters
    fs.writeFileSync(backlog(), `1. Short item\n2. ${long}\n`);
    const bytes = Buffer.byteLength(long, 'utf8');
    const r = await check();
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `specs/006-overnight-backlog.md:2: item is ${bytes} bytes: over 32768, its direction goes to the agent through the prompt file`,
    );
    expect(r.stdout).not.toContain(':1: item is');
    expect(r.stdout).toContain('OK: 2 items');
  });
});

describe('checkBacklog', () => {
  test('when an item is exactly at the limit, then it is not reported; one byte more is', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-backlog-check-'));
    try {
      const at = 'a'.repeat(ARGV_DIRECTION_LIMIT_BYTES);
      fs.writeFileSync(path.join(root, 'b.md'), `1. ${at}\n2. ${at}b\n`);
      const loaded = await loadBacklog({
        projectRoot: root,
        productBacklog: 'b.md',
        metaBacklog: 'm.md',
        metaRatio: 0,
      });
      expect(checkBacklog(loaded).long).toEqual([
        `b.md:2: item is ${ARGV_DIRECTION_LIMIT_BYTES + 1} bytes: over 32768, its direction goes to the agent through the prompt file`,
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  test('the argv direction limit is 32 KiB', () => {
    expect(ARGV_DIRECTION_LIMIT_BYTES).toBe(32768);
  });
});
