import { Option, type Command } from 'commander';
import { TASK_TYPES, type TaskType } from '../../shared/contracts/task';
import { TaskIndex } from '../../tasks/store';
import { isTaskId } from '../../tasks/paths';
import { decideTask, enqueueTask } from '../../temporal/tasks-control';
import { CliError, cliContext, connectedClient, print, printJson, type GlobalOptions } from '../context';

export function registerDecide(program: Command, globals: () => GlobalOptions): void {
  program
    .command('decide')
    .description('answer a task waiting in needs_decision; the answer is added to its item’s next direction')
    .argument('<TASK_ID>', 'the waiting task (task_ + 16 hex)')
    .argument('<DECISION>', 'your decision (quote it)')
    .action(async (taskId: string, decision: string) => {
      const ctx = cliContext(globals());
      if (!isTaskId(taskId)) throw new CliError(`invalid task id: ${taskId} (expected task_ + 16 lowercase hex)`);
      if (!decision.trim()) throw new CliError('the decision must not be empty');
      const t = await connectedClient(ctx);
      try {
        await decideTask(t, new TaskIndex(ctx.paths.stateDir), ctx.paths.projectId, taskId, decision);
        if (ctx.json) printJson({ task_id: taskId, decision, status: 'accepted' });
        else print(`Decision sent to ${taskId}.`);
      } finally {
        await t.close();
      }
    });

  program
    .command('enqueue')
    .description('run an ad-hoc task (e.g. a heal task) through the agent machinery')
    .addOption(new Option('--type <T>', 'task type').choices([...TASK_TYPES]).makeOptionMandatory())
    .requiredOption('--direction <TEXT>', 'what the agent should do')
    .action(async (opts: { type: TaskType; direction: string }) => {
      const ctx = cliContext(globals());
      const direction = opts.direction.trim();
      if (!direction || direction.length > 5000)
        throw new CliError('the direction must be 1..5000 characters after trimming');
      const t = await connectedClient(ctx);
      try {
        const task = await enqueueTask(t, ctx.config, ctx.paths, { taskType: opts.type, direction });
        if (ctx.json) printJson(task);
        else print(`Enqueued ${task.id} (${task.task_type}); follow it with: nightshift logs ${task.id}`);
      } finally {
        await t.close();
      }
    });
}
