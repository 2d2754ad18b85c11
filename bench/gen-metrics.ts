import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { pyRound } from '../src/metrics/py-round';

/**
 * The benchmark data set of seed-system.md section 12, byte for byte what the
 * reference's `gen_metrics.py` writes for the same seed and `now`: Python's
 * `random.Random(seed)` (Mersenne Twister) is reimplemented here so both
 * implementations can be timed on identical files.
 */

const N = 624;
const M = 397;

/** Python's `random.Random` for an int seed: the draws the recipe uses, in CPython's exact arithmetic. */
export class PyRandom {
  private readonly mt = new Uint32Array(N);
  private index = N + 1;

  constructor(seed: number) {
    this.seedByArray(wordsOf(Math.abs(seed)));
  }

  private seedByArray(key: number[]): void {
    const mt = this.mt;
    mt[0] = 19650218;
    for (let i = 1; i < N; i++) mt[i] = Math.imul(1812433253, mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      mt[i] = (mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1664525)) + key[j] + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      mt[i] = (mt[i] ^ Math.imul(mt[i - 1] ^ (mt[i - 1] >>> 30), 1566083941)) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.index = N;
  }

  private twist(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.index = 0;
  }

  /** genrand_uint32. */
  uint32(): number {
    if (this.index >= N) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random(): 53 random bits in [0, 1). */
  random(): number {
    const a = this.uint32() >>> 5;
    const b = this.uint32() >>> 6;
    return (a * 67108864 + b) * (1 / 9007199254740992);
  }

  /** getrandbits(64) as 16 lowercase hex digits (the first 32-bit draw is the low word). */
  randbits64Hex(): string {
    const lo = this.uint32();
    const hi = this.uint32();
    return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }

  /** choices(population, cum_weights=cumWeights)[0]: bisect_right on random() * total. */
  choice<T>(population: readonly T[], cumWeights: readonly number[]): T {
    const x = this.random() * cumWeights[cumWeights.length - 1];
    let lo = 0;
    let hi = population.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x < cumWeights[mid]) hi = mid;
      else lo = mid + 1;
    }
    return population[lo];
  }

  /** normalvariate: Kinderman and Monahan's ratio method, as CPython has it. */
  normalvariate(mu: number, sigma: number): number {
    for (;;) {
      const u1 = this.random();
      const u2 = 1 - this.random();
      const z = (NV_MAGICCONST * (u1 - 0.5)) / u2;
      if ((z * z) / 4 <= -Math.log(u2)) return mu + z * sigma;
    }
  }

  lognormvariate(mu: number, sigma: number): number {
    return Math.exp(this.normalvariate(mu, sigma));
  }
}

const NV_MAGICCONST = (4 * Math.exp(-0.5)) / Math.sqrt(2);

/** An int seed as init_by_array's key: 32-bit words, least significant first ([0] for 0). */
function wordsOf(n: number): number[] {
  const words: number[] = [];
  let rest = BigInt(Math.trunc(n));
  do {
    words.push(Number(rest & 0xffffffffn));
    rest >>= 32n;
  } while (rest > 0n);
  return words;
}

/** `timedelta(seconds=s)` in whole microseconds, rounded as CPython's delta_new does. */
export function secondsToMicros(s: number): number {
  const whole = Math.trunc(s);
  const scaled = (s - whole) * 1e6;
  const wholeUs = Math.trunc(scaled);
  const leftover = scaled - wholeUs;
  const x = whole * 1e6 + wholeUs;
  let rounded = Math.round(leftover);
  if (Math.abs(rounded - leftover) === 0.5) {
    const odd = x % 2 === 0 ? 0 : 1;
    rounded = 2 * Math.round((leftover + odd) * 0.5) - odd;
  }
  return x + rounded;
}

const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/** Python's aware-UTC `isoformat()`: `.ffffff` only when microseconds are not zero, then `+00:00`. */
export function isoformatMicros(us: number): string {
  const micro = ((us % 1e6) + 1e6) % 1e6;
  const secs = (us - micro) / 1e6;
  const sod = ((secs % 86400) + 86400) % 86400;
  const date = new Date((secs - sod) * 1000).toISOString().slice(0, 10);
  const time = `${pad2(Math.floor(sod / 3600))}:${pad2(Math.floor(sod / 60) % 60)}:${pad2(sod % 60)}`;
  return `${date}T${time}${micro ? '.' + String(micro).padStart(6, '0') : ''}+00:00`;
}

/** Python's float repr for the values the recipe writes (0.1-rounded, far from exponent notation). */
function pyFloat(x: number): string {
  const s = String(x);
  return Number.isInteger(x) ? s + '.0' : s;
}

const TASK_TYPES = ['spec', 'impl', 'test', 'review', 'heal'] as const;
const TASK_TYPE_CUM = [25, 60, 80, 95, 100];
const MODELS = ['cursor/auto', 'ollama/glm-4.7-flash:latest', 'claude-3-5-haiku-20241022'] as const;
const MODEL_CUM = [70, 90, 100];
const MU = Math.log(50);
const BROKEN_LINE = '{"task_id": "task_broken", "status": "compl';

export interface GenerateOptions {
  seed?: number;
  days?: number;
  /** The generation time the offsets count back from (default: the wall clock). */
  now?: Date;
}

/** Writes `lines` lines of the section 12 recipe to `out`, streaming (memory: one float per line). */
export async function generateMetrics(lines: number, out: string, opts: GenerateOptions = {}): Promise<void> {
  const rng = new PyRandom(opts.seed ?? 42);
  const days = opts.days ?? 14;
  const nowUs = (opts.now ?? new Date()).getTime() * 1000;
  const offsets = new Float64Array(lines);
  for (let i = 0; i < lines; i++) offsets[i] = rng.random() * days * 86400;
  offsets.sort().reverse();
  const stream = createWriteStream(out);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  let chunk = '';
  for (let i = 0; i < lines; i++) {
    const k = i % 1000;
    if (k === 500) chunk += '\n';
    else if (k === 999) chunk += BROKEN_LINE + '\n';
    else {
      const id = rng.randbits64Hex();
      const taskType = rng.choice(TASK_TYPES, TASK_TYPE_CUM);
      const model = rng.choice(MODELS, MODEL_CUM);
      const duration = pyRound(rng.lognormvariate(MU, 0.8), 1);
      const status = rng.random() < 0.85 ? 'completed' : 'failed';
      const createdAt = k === 250 ? '' : `, "created_at": "${isoformatMicros(nowUs - secondsToMicros(offsets[i]))}"`;
      chunk += `{"task_id": "task_${id}", "task_type": "${taskType}", "model": "${model}", "duration_seconds": ${pyFloat(duration)}, "status": "${status}"${createdAt}}\n`;
    }
    if (chunk.length >= 1 << 16) {
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
      chunk = '';
    }
  }
  stream.end(chunk);
  await Promise.race([once(stream, 'finish'), failed]);
}

/** `node .bench-build/bench/gen-metrics.js N OUT [--seed 42] [--days 14]` (after `tsc -p bench/tsconfig.json`) */
async function main(argv: string[]): Promise<void> {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i].startsWith('--')) flags[argv[i].slice(2)] = argv[++i];
    else positional.push(argv[i]);
  }
  const [count, out] = positional;
  const lines = Number(count);
  if (!out || !Number.isInteger(lines) || lines < 0) {
    process.stderr.write('usage: node .bench-build/bench/gen-metrics.js N OUT [--seed 42] [--days 14]\n');
    process.exitCode = 2;
    return;
  }
  await generateMetrics(lines, out, {
    seed: flags.seed ? Number(flags.seed) : 42,
    days: flags.days ? Number(flags.days) : 14,
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
