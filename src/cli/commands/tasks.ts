import { readFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { TASK_STATUSES, TASK_TYPES, type TaskStatus, type TaskType } from '../../shared/contracts/task';
import { isTaskId, taskLogPath } from '../../tasks/paths';
import { TaskIndex } from '../../tasks/store';
import { CliError, cliContext, print, printJson, type GlobalOptions } from '../context';
import { nonNegativeInt, positiveInt } from '../parse';

export function registerTasks(program: Command, globals: () => GlobalOptions): void {
  program
    .command('tasks')
    .description('task list, newest first')
    .addOption(new Option('--status <S>', 'only tasks with this status').choices([...TASK_STATUSES]))
    .addOption(new Option('--type <T>', 'only tasks of this type').choices([...TASK_TYPES]))
    .option('--limit <N>', 'at most N tasks', positiveInt, 20)
    .option('--offset <N>', 'skip N tasks', nonNegativeInt, 0)
    .action(async (opts: { status?: TaskStatus; type?: TaskType; limit: number; offset: number }) => {
      const ctx = cliContext(globals());
      const page = await new TaskIndex(ctx.paths.stateDir).query({
        status: opts.status,
        taskType: opts.type,
        limit: opts.limit,
        offset: opts.offset,
      });
      if (ctx.json) return printJson(page);
      if (!page.tasks.length) return print('No tasks.');
      for (const t of page.tasks)
        print(
          `${t.id}  ${t.task_type.padEnd(6)} ${t.status.padEnd(10)} it${t.iteration}  ${t.created_at}  ${t.direction.replace(/\s+/g, ' ').slice(0, 70)}`,
        );
      print(`(${page.tasks.length} of ${page.total})`);
    });

  program
    .command('logs')
    .description("print one task's log")
    .argument('<TASK_ID>', 'task id (task_ + 16 hex)')
    .action(async (taskId: string) => {
      const ctx = cliContext(globals());
      if (!isTaskId(taskId)) throw new CliError(`invalid task id: ${taskId} (expected task_ + 16 lowercase hex)`);
      let log: string;
      try {
        log = await readFile(taskLogPath(ctx.paths.stateDir, taskId), 'utf8');
      } catch {
        throw new CliError(`Task log not found: ${taskId}`);
      }
      if (ctx.json) printJson({ task_id: taskId, log });
      else process.stdout.write(log);
    });
}
