import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateMetrics, isoformatMicros, PyRandom, secondsToMicros } from '../../bench/gen-metrics';

/** The recipe of seed-system.md section 12, as the reference's gen_metrics.py would run it, with a fixed `now`. */
const PYTHON_RECIPE = `
import json, math, random, sys
from datetime import datetime, timedelta
n, out, seed, days, now = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), datetime.fromisoformat(sys.argv[5])
rng = random.Random(seed)
offsets = sorted((rng.random() * days * 86400 for _ in range(n)), reverse=True)
with open(out, 'w') as f:
    for i, off in enumerate(offsets):
        k = i % 1000
        if k == 500:
            f.write('\\n'); continue
        if k == 999:
            f.write('{"task_id": "task_broken", "status": "compl\\n'); continue
        rec = {
            'task_id': 'task_%016x' % rng.getrandbits(64),
            'task_type': rng.choices(['spec', 'impl', 'test', 'review', 'heal'], [25, 35, 20, 15, 5])[0],
            'model': rng.choices(['cursor/auto', 'ollama/glm-4.7-flash:latest', 'claude-3-5-haiku-20241022'], [70, 20, 10])[0],
            'duration_seconds': round(rng.lognormvariate(math.log(50), 0.8), 1),
            'status': 'completed' if rng.random() < 0.85 else 'failed',
            'created_at': (now - timedelta(seconds=off)).isoformat(),
        }
        if k == 250:
            del rec['created_at']
        f.write(json.dumps(rec) + '\\n')
`;

const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('generateMetrics (the section 12 benchmark recipe)', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ns-gen-metrics-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test("when Python's random.Random draws are replayed, then they equal CPython's for the same seed", () => {
    // values printed by CPython 3.11 for random.Random(42): random(), getrandbits(64), normalvariate(0, 1),
    // lognormvariate(3.9, 0.8), choices(..., [70, 20, 10])
    const rng = new PyRandom(42);
    expect(rng.random()).toBe(0.6394267984578837);
    expect(BigInt('0x' + rng.randbits64Hex())).toBe(13679192365072849617n);
    expect(rng.normalvariate(0, 1)).toBe(-0.49684447341120286);
    expect(rng.lognormvariate(3.9, 0.8)).toBe(134.8049265403976);
    expect(rng.choice(['a', 'b', 'c'], [70, 90, 100])).toBe('b');
    expect(new PyRandom(0).random()).toBe(0.8444218515250481);
    expect(new PyRandom(2 ** 40 + 7).random()).toBe(0.6137037779936511);
  });

  test('when seconds become a timedelta and a timestamp, then rounding and isoformat follow CPython', () => {
    // timedelta(seconds=s) in microseconds, as printed by CPython (round half to even on the leftover)
    const cases: [number, number][] = [
      [0.5e-6, 0],
      [1.5e-6, 2],
      [2.5e-6, 2],
      [3.0000005, 3000001],
      [1209599.9999995, 1209600000000],
      [86400.0000015, 86400000001],
      [0.1234565, 123456],
    ];
    for (const [seconds, micros] of cases) expect([seconds, secondsToMicros(seconds)]).toEqual([seconds, micros]);
    const noon = Date.parse('2026-03-10T12:00:00Z') * 1000;
    expect(isoformatMicros(noon)).toBe('2026-03-10T12:00:00+00:00');
    expect(isoformatMicros(noon + 5)).toBe('2026-03-10T12:00:00.000005+00:00');
    expect(isoformatMicros(noon - 1)).toBe('2026-03-10T11:59:59.999999+00:00');
  });

  test('when 2,000 lines are generated, then they have the recipe shape: blank, broken and timestamp-less lines in place, chronological', async () => {
    const file = path.join(dir, 'm.jsonl');
    const now = new Date('2026-03-10T12:00:00.123Z');
    await generateMetrics(2000, file, { now });
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(2001);
    expect(lines[2000]).toBe('');
    expect(lines[500]).toBe('');
    expect(lines[999]).toBe('{"task_id": "task_broken", "status": "compl');
    expect(JSON.parse(lines[250])).not.toHaveProperty('created_at');
    const first = JSON.parse(lines[0]);
    expect(Object.keys(first)).toEqual(['task_id', 'task_type', 'model', 'duration_seconds', 'status', 'created_at']);
    expect(lines[0]).toMatch(
      /^\{"task_id": "task_[0-9a-f]{16}", "task_type": "\w+", "model": "[^"]+", "duration_seconds": \d+\.\d, "status": "(completed|failed)", "created_at": "[^"]+\+00:00"\}$/,
    );
    const times = lines
      .filter((l, i) => l && i % 1000 !== 250 && i % 1000 !== 999)
      .map((l) => Date.parse(JSON.parse(l).created_at));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1])).toBe(true);
    expect(times[0]).toBeGreaterThanOrEqual(now.getTime() - 14 * 86_400_000);
    expect(times[times.length - 1]).toBeLessThanOrEqual(now.getTime());
  });

  (hasPython ? test : test.skip)(
    'when the same seed and now are given to the Python recipe, then the files are identical byte for byte',
    async () => {
      const now = '2026-03-10T12:00:00.123000+00:00';
      for (const [lines, seed, days] of [
        [2500, 42, 14],
        [1200, 7, 3],
      ] as const) {
        const ours = path.join(dir, `ours-${seed}.jsonl`);
        const theirs = path.join(dir, `py-${seed}.jsonl`);
        await generateMetrics(lines, ours, { now: new Date(now), seed, days });
        const py = spawnSync('python3', ['-c', PYTHON_RECIPE, String(lines), theirs, String(seed), String(days), now], {
          encoding: 'utf8',
        });
        expect(py.stderr).toBe('');
        expect(fs.readFileSync(ours, 'utf8')).toBe(fs.readFileSync(theirs, 'utf8'));
      }
    },
  );
});
