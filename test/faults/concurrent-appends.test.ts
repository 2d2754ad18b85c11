import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LIB_JSONL = path.resolve(__dirname, '../../lib/util/jsonl.js');

describe('fault: concurrent writers on the metrics store', () => {
  test('when four processes append 10,000 metric lines each at once, then all 40,000 lines are whole and valid', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-appends-')), 'metrics.jsonl');
    const script = `
      const { appendLine } = require(${JSON.stringify(LIB_JSONL)});
      (async () => {
        const w = process.argv[1];
        for (let i = 0; i < 10000; i++) {
          await appendLine(${JSON.stringify(file)}, JSON.stringify({ task_id: 'task_' + w + String(i).padStart(15, '0'), task_type: 'impl', model: 'x/'.repeat(40), duration_seconds: i / 10, status: 'completed', created_at: new Date().toISOString(), pad: 'p'.repeat(i % 300) }));
        }
      })();`;
    await Promise.all([1, 2, 3, 4].map((w) => run(process.execPath, ['-e', script, String(w)])));
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(40_000);
    const ids = lines.map((l) => JSON.parse(l).task_id);
    expect(new Set(ids).size).toBe(40_000);
  });

  test('when four processes append to a file that ends in a torn line, then the fragment stays alone on its line and all 8,000 records are whole', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-appends-')), 'items.jsonl');
    writeFileSync(file, '{"key":"half-written-item","outc');
    const script = `
      const { appendLine } = require(${JSON.stringify(LIB_JSONL)});
      (async () => {
        const w = process.argv[1];
        for (let i = 0; i < 2000; i++) await appendLine(${JSON.stringify(file)}, JSON.stringify({ key: 'item-' + w + '-' + i, outcome: 'passed', position: null, at: new Date().toISOString() }));
      })();`;
    await Promise.all([1, 2, 3, 4].map((w) => run(process.execPath, ['-e', script, String(w)])));
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(lines[0]).toBe('{"key":"half-written-item","outc');
    const keys = lines.slice(1).map((l) => JSON.parse(l).key);
    expect(new Set(keys).size).toBe(8000);
    expect(keys).toHaveLength(8000);
  });
});
