import type { Command } from 'commander';
import { CoverageTableMissingError, type CoverageChange } from '../../coverage/table';
import { CoverageNotFoundError, updateCoverage } from '../../coverage/update';
import { CliError, cliContext, print, printJson, type GlobalOptions } from '../context';

function describeChange(c: CoverageChange, dryRun: boolean): string {
  if (c.kind === 'add') return `${dryRun ? 'Would add' : 'Added'}: ${c.row}`;
  return `${dryRun ? 'Would mark' : 'Marked'}: ${c.row} ${c.column} ✓`;
}

export function registerCoverage(program: Command, globals: () => GlobalOptions): void {
  program
    .command('coverage')
    .description(
      'bring the spec coverage table (PIPELINE_SPEC_COVERAGE) up to date: a row for each specs/NNN-slug.md, marks only upgraded to ✓',
    )
    .option('--dry-run', 'print the changes, write nothing')
    .option('--tests-passed', 'let Present/Tested become ✓ for specs recorded as passed with tests (also CI=true)')
    .action(async (opts: { dryRun?: boolean; testsPassed?: boolean }) => {
      const ctx = cliContext(globals());
      const coveragePath = ctx.config.PIPELINE_SPEC_COVERAGE;
      const dryRun = !!opts.dryRun;
      const testsPassed = !!opts.testsPassed || ctx.config.CI === 'true';
      let result;
      try {
        result = await updateCoverage({
          projectRoot: ctx.paths.projectRoot,
          coveragePath,
          stateDir: ctx.paths.stateDir,
          dryRun,
          testsPassed,
        });
      } catch (err) {
        if (err instanceof CoverageNotFoundError || err instanceof CoverageTableMissingError)
          throw new CliError(err.message);
        throw err;
      }
      const { changes, written } = result;
      if (ctx.json) return printJson({ path: coveragePath, dryRun, changes, written });
      if (!changes.length) return print('No changes.');
      for (const c of changes) print(describeChange(c, dryRun));
      if (written) print(`Updated ${coveragePath} (${changes.length} ${changes.length === 1 ? 'change' : 'changes'})`);
    });
}
