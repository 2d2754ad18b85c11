import path from 'node:path';
import type { Command } from 'commander';
import { checkBacklog } from '../../backlog/check';
import { loadBacklog } from '../../backlog/load';
import { readItemOutcomes } from '../../backlog/outcomes';
import { CliError, cliContext, print, printJson, type GlobalOptions } from '../context';

export function registerBacklog(program: Command, globals: () => GlobalOptions): void {
  program
    .command('backlog')
    .description('the combined backlog in run order with each item state')
    .option(
      '--check',
      "report malformed lines as <file>:<line>: expected 'N. text' (exit 1 if any), numbered lines that are not items and why, and items too long for argv",
    )
    .action(async (opts: { check?: boolean }) => {
      const ctx = cliContext(globals());
      const c = ctx.config;
      const loaded = await loadBacklog({
        projectRoot: ctx.paths.projectRoot,
        productBacklog: c.PIPELINE_BACKLOG,
        metaBacklog: c.PIPELINE_META_BACKLOG,
        metaRatio: c.PIPELINE_META_RATIO,
      });
      if (opts.check) {
        const { problems, ignored, long } = checkBacklog(loaded);
        if (ctx.json)
          printJson({ ok: problems.length === 0, problems, ignored, warnings: [...loaded.warnings, ...long] });
        else {
          for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
          for (const p of [...problems, ...ignored, ...long]) print(p);
          if (!problems.length) print(`OK: ${loaded.items.length} items`);
        }
        if (problems.length) throw new CliError(`${problems.length} malformed backlog line(s)`, 1);
        return;
      }
      const outcomes = await readItemOutcomes(ctx.paths.stateDir);
      const rows = loaded.items.map((item, i) => {
        const o = outcomes[item.key];
        const state =
          o?.outcome === 'passed' || o?.outcome === 'failed'
            ? o.outcome
            : o?.outcome === 'stopped'
              ? `pending (resumes at ${o.position?.phase})`
              : 'pending';
        return {
          position: i + 1,
          source: item.source,
          file: item.file,
          line: item.line,
          key: item.key,
          state,
          text: item.text,
        };
      });
      if (ctx.json) return printJson({ items: rows, warnings: loaded.warnings });
      for (const w of loaded.warnings) process.stderr.write(`warning: ${w}\n`);
      if (!rows.length) return print('Backlog is empty.');
      for (const r of rows)
        print(
          `${String(r.position).padStart(3)}. [${r.source.padEnd(7)}] ${r.state.padEnd(8)} ${r.text.slice(0, 70)}  (${path.basename(r.file)}:${r.line}, ${r.key})`,
        );
    });
}
