import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lineSink, RotatingFile } from '../../src/util/rotating-file';

describe('RotatingFile', () => {
  test('when the file would pass its size limit, then it rotates to .1…, keeps five and never splits a line', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-rotate-')), 'worker.log');
    const log = new RotatingFile(file, 100);
    const sink = lineSink(log);
    for (let i = 0; i < 40; i++) {
      const line = JSON.stringify({ n: i, msg: 'x'.repeat(20) }) + '\n';
      sink(line.slice(0, 10)); // chunks arrive cut anywhere
      sink(line.slice(10));
    }
    log.close();
    const files = [file, ...[1, 2, 3, 4, 5].map((i) => `${file}.${i}`)];
    for (const f of files) expect(existsSync(f)).toBe(true);
    expect(existsSync(`${file}.6`)).toBe(false);
    const kept = files.reverse().flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
    for (const l of kept) expect(() => JSON.parse(l)).not.toThrow();
    const numbers = kept.map((l) => JSON.parse(l).n);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b)); // in order, newest last
    expect(numbers.at(-1)).toBe(39);
    for (const f of files) expect(readFileSync(f).length).toBeLessThanOrEqual(100);
  });
});
