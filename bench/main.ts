import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnvConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { resolveTemporalCli, TEMPORAL_CLI_HELP } from '../src/temporal/cli-path';
import { createTemporalClient, waitForTemporal } from '../src/temporal/connection';
import { startDevServer, type DevServer } from '../src/temporal/dev-server';
import { packageRoot } from '../src/util/package-root';
import { installRuntime } from '../src/worker/run';
import { freePort, type BenchContext } from './env';
import { cpuShares, cpuTicks, machineInfo, type MachineInfo } from './machine';
import { table } from './markdown';
import { ANALYSIS } from './analysis';
import { writeNoopAgent } from './noop-agent';
import type { BenchSection } from './report';

/**
 * `npm run bench` (builds bench/tsconfig.json into .bench-build/, then
 * `node .bench-build/bench/main.js [--quick] [--only <figure>[,…]] [--out FILE] [--keep] [--profile]`):
 * starts the embedded Temporal dev server, runs each figure against nightshift
 * and its baseline in the same run, and writes docs/PERFORMANCE.md.
 * `--quick` (small sizes) and `--only` write to a file in the bench's temp dir
 * unless `--out` says otherwise, so a smoke run never replaces the full report.
 * `--profile` makes the worker and API child processes write CPU profiles
 * (`--cpu-prof`) into the temp dir, which is then kept.
 */

/** Each figure's module is loaded when it runs, so `--only` loads just what it needs. */
const FIGURES = {
  handoff: async (ctx: BenchContext) => (await import('./handoff')).handoffSection(ctx),
  throughput: async (ctx: BenchContext) => (await import('./throughput')).throughputSection(ctx),
  metrics: async (ctx: BenchContext) =>
    (await import('./metrics-bench')).metricsSection({
      workDir: path.join(ctx.workDir, 'metrics'),
      log: ctx.log,
      sizes: ctx.quick ? [10_000] : undefined,
      temporalAddress: ctx.address,
    }),
  api: async (ctx: BenchContext) => (await import('./api-load')).apiLoadSection(ctx),
  'long-run': async (ctx: BenchContext) => (await import('./long-run')).longRunSection(ctx),
  'scale-out': async (ctx: BenchContext) => (await import('./scale-out')).scaleOutSection(ctx),
} satisfies Record<string, (ctx: BenchContext) => Promise<BenchSection>>;
type Figure = keyof typeof FIGURES;

const USAGE = `usage: npm run bench [-- [--quick] [--only <figure>[,…]] [--out FILE] [--keep] [--profile]]

Runs each figure against nightshift and its baseline on an embedded Temporal dev server
and writes docs/PERFORMANCE.md (about 25 minutes on 2 cores).

  --quick           small sizes (a smoke run)
  --only FIGURES    comma-separated, any of: ${Object.keys(FIGURES).join(', ')}
  --out FILE        where to write the report (--quick and --only default to the bench's temp dir)
  --keep            keep the bench's temp dir
  --profile         CPU profiles of the worker and API child processes (the temp dir is kept)
  --help            this text
`;

interface Options {
  help: boolean;
  quick: boolean;
  only: Figure[] | null;
  out: string | null;
  keep: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { help: false, quick: false, only: null, out: null, keep: false, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--keep') o.keep = true;
    else if (a === '--profile') o.profile = true;
    else if (a === '--out') o.out = argv[++i] ?? '';
    else if (a === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = names.filter((n) => !(n in FIGURES));
      if (names.length === 0 || bad.length)
        throw new UsageError(`--only takes one or more of ${Object.keys(FIGURES).join(', ')} (comma-separated)`);
      o.only = names as Figure[];
    } else throw new UsageError(`unknown argument ${a}`);
  }
  if (o.out === '') throw new UsageError('--out needs a file name');
  return o;
}

class UsageError extends Error {
  readonly type = 'UsageError';
}

function render(
  machine: MachineInfo,
  command: string,
  sections: BenchSection[],
  wallSeconds: number,
  quick: boolean,
): string {
  return [
    '# Performance',
    '',
    `Measured by \`npm run bench\` (\`bench/\`): an embedded Temporal dev server (SQLite, WAL, as \`nightshift up\` runs it), ` +
      `a no-op agent (a tiny node script that exits 0 at once) and, for each figure, a baseline measured in the same run. ` +
      `Medians and p95 are nearest-rank over the samples named in each section.${quick ? ' **This is a `--quick` run: small sizes, not the figures of record.**' : ''}`,
    '',
    `\`npm run bench\` writes this file (about 25 minutes on 2 cores). \`npm run bench -- --quick\` (small sizes) and ` +
      `\`--only handoff,throughput,metrics,api,long-run,scale-out\` (any of them) write their report into the bench's temp dir instead, ` +
      `unless \`--out FILE\` is given; \`--profile\` adds CPU profiles of the worker and API child processes; \`--keep\` keeps the temp dir.`,
    '',
    table(
      ['machine', ''],
      [
        ['CPU', `${machine.cores} × ${machine.model}`],
        ['memory', `${machine.memoryGiB} GiB`],
        ['node', machine.node],
        ['OS', machine.platform],
        ['date', machine.date],
        ['load average at start (1/5/15 min)', machine.loadAverage.join(' / ')],
        ['command', `\`${command}\``],
        ['bench wall time', `${Math.round(wallSeconds)} s`],
      ],
    ),
    '',
    table(
      ['figure', 'targets met', 'targets missed', 'machine CPU while measured: busy / idle / stolen by the host'],
      sections.map((s) => [
        s.title,
        count(s.body, '**met**'),
        count(s.body, '**missed**'),
        s.cpu ? [s.cpu.busy, s.cpu.idle, s.cpu.steal].map((x) => `${Math.round(x * 100)}%`).join(' / ') : 'n/a',
      ]),
    ),
    '',
    "Busy is all work on the machine, the bench's own included; stolen is CPU time the hypervisor gave to other guests. " +
      'Figures measured while a large share was stolen ran on less CPU than the machine has.',
    '',
    ...sections.flatMap((s) => [`## ${s.title}`, '', s.body.trim(), '']),
    ANALYSIS.trim(),
    '',
  ].join('\n');
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

async function startServer(workDir: string): Promise<DevServer> {
  const config = loadEnvConfig();
  const cli = resolveTemporalCli(config.TEMPORAL_CLI_PATH, config.PATH);
  if (!cli) throw new Error(TEMPORAL_CLI_HELP);
  const server = await startDevServer({
    cliPath: cli,
    port: await freePort(),
    uiPort: null,
    dbFile: path.join(workDir, 'temporal.db'),
    logFile: path.join(workDir, 'temporal-server.log'),
  });
  const t = createTemporalClient(config, server.address);
  await waitForTemporal(t, 60).finally(() => t.close());
  return server;
}

export async function main(argv: string[]): Promise<void> {
  const opts = parseArgs(argv);
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  // What the reader types: npm run bench builds the bench (bench/tsconfig.json) and runs it with these arguments.
  const command = ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
  const machine = machineInfo();
  const started = Date.now();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-bench-'));
  const log = (line: string) =>
    process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  log(`work dir ${workDir}`);
  await installRuntime(createLogger('bench', 'warn'));
  const server = await startServer(workDir);
  const stopAll = async () => server.stop();
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  const profileDir = opts.profile ? path.join(workDir, 'profiles') : null;
  const ctx: BenchContext = {
    workDir,
    address: server.address,
    serverPid: server.process.pid!,
    agentFile: writeNoopAgent(workDir),
    quick: opts.quick,
    command,
    log,
    profileDir,
  };

  const sections: BenchSection[] = [];
  let failures = 0;
  try {
    for (const name of opts.only ?? (Object.keys(FIGURES) as Figure[])) {
      const t0 = Date.now();
      const ticks0 = cpuTicks();
      try {
        sections.push({ ...(await FIGURES[name](ctx)), cpu: cpuShares(ticks0, cpuTicks()) });
      } catch (err) {
        failures++;
        log(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        sections.push({
          title: name,
          body: `**Not measured:** the benchmark failed: \`${err instanceof Error ? err.message : String(err)}\`.`,
        });
      }
      log(`${name} took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await stopAll();
  }
  const smoke = opts.quick || opts.only !== null;
  const out = opts.out
    ? path.resolve(opts.out)
    : smoke
      ? path.join(workDir, 'PERFORMANCE.md')
      : path.join(packageRoot(), 'docs', 'PERFORMANCE.md');
  writeFileSync(out, render(machine, command, sections, (Date.now() - started) / 1000, opts.quick));
  log(`wrote ${out}`);
  if (profileDir) log(`CPU profiles in ${profileDir}`);
  if (!opts.keep && !opts.profile && !smoke && failures === 0) rmSync(workDir, { recursive: true, force: true });
  if (failures) process.exitCode = 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
