import { Command, CommanderError, Option } from 'commander';
import { ERROR_TYPE } from '../shared/errors';
import { isTaskId } from '../tasks/paths';
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
import { UNREACHABLE_HINT, type GlobalOptions } from './context';
import { splitJsonFieldsArgv } from './json-fields';
import { outputClosed } from './signals';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('nightshift')
    .description(
      'Autonomous development pipeline on Temporal: backlog items go spec → impl → test → review, run by an AI coding-agent CLI.',
    )
    .version(VERSION)
    .option('--project <DIR>', 'target repository (default: current directory)')
    .option('--json', 'print data as JSON; `--json a,b.c` keeps only those fields (like gh)')
    .addOption(new Option('--json-fields <LIST>', 'the fields --json keeps (what `--json a,b` becomes)').hideHelp())
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

/**
 * A reader that stops early (`nightshift status | head -2`) closes the pipe: that is the
 * reader's choice, not an error, so the command ends quietly with 0 like other Unix tools.
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return outputClosed();
      throw err;
    });
  }
}

/** Exit codes: 0 success, 1 user or runtime error (one line on stderr), 2 bad usage. */
export async function main(argv: string[]): Promise<void> {
  exitQuietlyOnClosedPipe();
  const program = buildProgram();
  try {
    const commands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
    await program.parseAsync(
      splitJsonFieldsArgv(argv, (token) => commands.has(token) || isTaskId(token)),
      { from: 'user' },
    );
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        process.exit(0);
      process.exit(2);
    }
    const e = err as Error & { exitCode?: number; type?: string };
    process.stderr.write(
      `nightshift: ${e.message}${e.type === ERROR_TYPE.TemporalUnreachable ? UNREACHABLE_HINT : ''}\n`,
    );
    if (program.opts<GlobalOptions>().verbose && e.stack) process.stderr.write(e.stack + '\n');
    process.exit(typeof e.exitCode === 'number' ? e.exitCode : 1);
  }
}
