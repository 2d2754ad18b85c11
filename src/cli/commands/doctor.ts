import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadBacklog } from '../../backlog/load';
import { findOnPath, resolveTemporalCli, TEMPORAL_CLI_HELP } from '../../temporal/cli-path';
import { createTemporalClient, temporalReachable } from '../../temporal/connection';
import { checkAgent } from '../doctor/agent';
import type { Check } from '../doctor/check';
import {
  CliError,
  cliContext,
  UNREACHABLE_HINT,
  print,
  printJson,
  type CliContext,
  type GlobalOptions,
} from '../context';

export type { Check };

function version(bin: string, args: string[]): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || r.stderr || '').split('\n')[0].trim();
}

export async function runChecks(ctx: CliContext, probe = false): Promise<Check[]> {
  const c = ctx.config;
  const checks: Check[] = [];
  const cli = resolveTemporalCli(c.TEMPORAL_CLI_PATH, c.PATH);
  checks.push(
    cli
      ? { name: 'temporal-cli', ok: true, detail: `${cli} (${version(cli, ['--version'])})` }
      : { name: 'temporal-cli', ok: !!c.TEMPORAL_ADDRESS, detail: TEMPORAL_CLI_HELP },
  );

  const t = createTemporalClient(c);
  const reachable = await temporalReachable(t, 2000);
  checks.push({
    name: 'temporal-server',
    ok: reachable,
    detail: reachable ? `reachable at ${t.address}` : `Temporal not reachable at ${t.address}${UNREACHABLE_HINT}`,
  });

  const git = findOnPath('git', c.PATH);
  const workTree = git
    ? spawnSync(git, ['rev-parse', '--is-inside-work-tree'], {
        cwd: ctx.paths.projectRoot,
        encoding: 'utf8',
      }).stdout.trim() === 'true'
    : false;
  checks.push({
    name: 'git',
    ok: !!git && workTree,
    detail: !git
      ? 'git not found on PATH'
      : workTree
        ? `${version(git, ['--version'])}; ${ctx.paths.projectRoot} is a work tree`
        : `${ctx.paths.projectRoot} is not a git work tree`,
  });

  try {
    checks.push(...(await checkAgent(c, ctx.paths, reachable ? t : null, probe)));
  } finally {
    await t.close().catch(() => undefined);
  }

  const backlog = await loadBacklog({
    projectRoot: ctx.paths.projectRoot,
    productBacklog: c.PIPELINE_BACKLOG,
    metaBacklog: c.PIPELINE_META_BACKLOG,
    metaRatio: c.PIPELINE_META_RATIO,
  });
  const productPath = path.resolve(ctx.paths.projectRoot, c.PIPELINE_BACKLOG);
  const bad = backlog.malformed.reduce((n, m) => n + m.lines.length, 0);
  checks.push({
    name: 'backlog',
    ok: existsSync(productPath) && bad === 0,
    detail: existsSync(productPath)
      ? `${backlog.items.length} items${bad ? `, ${bad} malformed line(s) (see nightshift backlog --check)` : ''}`
      : `${c.PIPELINE_BACKLOG} not found`,
  });
  return checks;
}

export function registerDoctor(program: Command, globals: () => GlobalOptions): void {
  program
    .command('doctor')
    .description(
      'check the Temporal CLI, server reachability, git, the agent CLI (version, credential) and the backlog',
    )
    .option('--probe', 'also make one tiny real call through the agent and report its answer or the exact error')
    .action(async (opts: { probe?: boolean }) => {
      const ctx = cliContext(globals());
      const checks = await runChecks(ctx, !!opts.probe);
      if (ctx.json) printJson({ ok: checks.every((c) => c.ok), checks });
      else for (const ch of checks) print(`${ch.ok ? 'ok  ' : 'FAIL'} ${ch.name.padEnd(16)} ${ch.detail}`);
      const failed = checks.filter((ch) => !ch.ok).length;
      if (failed) throw new CliError(`${failed} check(s) failed`, 1);
    });
}
