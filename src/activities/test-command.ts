import { Context } from '@temporalio/activity';
import type { RunTestCommandInput, RunTestCommandResult } from '../shared/contracts/pipeline';
import { runInProcessGroup } from '../util/process-group';

const KEEP_OUTPUT = 2000;

/** Runs PIPELINE_TEST_COMMAND as argv (no shell) in the project root; exit 0 passes. */
export function createRunTestCommand(deps: { agentEnv: NodeJS.ProcessEnv }) {
  return async function runTestCommand(input: RunTestCommandInput): Promise<RunTestCommandResult> {
    const ctx = Context.current();
    let output = '';
    const beat = setInterval(() => ctx.heartbeat(), 2000);
    const outcome = await runInProcessGroup({
      argv: input.argv,
      cwd: input.projectRoot,
      env: deps.agentEnv,
      timeoutMs: input.timeoutSeconds * 1000,
      signal: ctx.cancellationSignal,
      onOutput: (c) => (output = (output + c).slice(-KEEP_OUTPUT)),
    }).finally(() => clearInterval(beat));
    if (outcome.spawnError)
      output += `\ntest command could not be started: ${input.argv[0]}: ${outcome.spawnError.code ?? outcome.spawnError.message}`;
    if (outcome.timedOut) output += `\n[Timeout ${input.timeoutSeconds}s]`;
    return {
      ok: outcome.exitCode === 0 && !outcome.timedOut,
      exitCode: outcome.exitCode,
      output: output.slice(-KEEP_OUTPUT),
    };
  };
}
