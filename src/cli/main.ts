import { Command, CommanderError } from 'commander';
import { VERSION } from '../version';
import { registerBacklog } from './commands/backlog';
import { registerCoverage } from './commands/coverage';
import { registerCleanup } from './commands/cleanup';
import { registerDecide } from './commands/decide';
import { registerDoctor } from './commands/doctor';
import { registerSchedule } from './commands/schedule';
import { registerMetrics } from './commands/metrics';
import { registerServices } from './commands/services';
import { registerControl, registerStart } from './commands/start';
import { registerStatus } from './commands/status';
import { registerTasks } from './commands/tasks';
import { registerUp } from './commands/up';
import type { GlobalOptions } from './context';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nightshift')
    .description('Autonomous development pipeline on Temporal: backlog items go spec → impl → test → review, run by an AI coding-agent CLI.')
    .version(VERSION)
    .option('--project <DIR>', 'target repository (default: current directory)')
    .option('--json', 'print data as JSON')
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const globals = () => program.opts<GlobalOptions>();
  registerUp(program, globals);
  registerServices(program, globals);
  registerStart(program, globals);
  registerControl(program, globals);
  registerStatus(program, globals);
  registerMetrics(program, globals);
  registerTasks(program, globals);
  registerDecide(program, globals);
  registerBacklog(program, globals);
  registerCoverage(program, globals);
  registerDoctor(program, globals);
  registerCleanup(program, globals);
  registerSchedule(program, globals);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Exit codes: 0 success, 1 user or runtime error (one line on stderr), 2 bad usage. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(2);
    }
    const e = err as Error & { exitCode?: number };
    process.stderr.write(`nightshift: ${e.message}\n`);
    if (program.opts<GlobalOptions>().verbose && e.stack) process.stderr.write(e.stack + '\n');
    process.exit(typeof e.exitCode === 'number' ? e.exitCode : 1);
  }
}
