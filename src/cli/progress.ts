import type { EnvConfig, ProjectPaths } from '../config';
import { loadBacklog } from '../backlog/load';
import { itemsFile } from '../backlog/outcomes';
import type { ItemOutcomeRecord } from '../shared/contracts/pipeline';
import type { TaskRecord } from '../shared/contracts/task';
import { tasksFile } from '../tasks/store';
import { TailReader } from '../util/tail-reader';

const MARK: Record<string, string> = { completed: '✓', failed: '✗', running: '▶' };

export interface ProgressSoFar {
  itemsPassed: number;
  itemsFailed: number;
  tasksFinished: number;
}

export interface ProgressWatch {
  /** What the state dir already held when the watch opened (an earlier or attached run). */
  soFar: ProgressSoFar;
  /** Starts printing what is appended from now on. */
  start(): void;
  stop(): void;
}

/** The line `up` prints for work done before it attached, or null when there is none. */
export function soFarLine(s: ProgressSoFar): string | null {
  if (!s.itemsPassed && !s.itemsFailed && !s.tasksFinished) return null;
  return `Already done: ${s.itemsPassed} item(s) passed, ${s.itemsFailed} failed, ${s.tasksFinished} task(s) finished; new events follow.`;
}

/**
 * Prints tasks as they start and end and items as they finish, by tailing the
 * state dir. What is already there when it opens is only counted: re-attaching
 * to a pipeline must not replay its history as if it ran again.
 */
export async function openProgress(
  config: EnvConfig,
  paths: ProjectPaths,
  print: (line: string) => void,
  everyMs = 500,
): Promise<ProgressWatch> {
  const tasks = new TailReader(tasksFile(paths.stateDir));
  const items = new TailReader(itemsFile(paths.stateDir));
  const finished = new Set<string>();
  const latest = new Map<string, string>();
  await tasks.read((line) => {
    try {
      const t = JSON.parse(line) as TaskRecord;
      if (t.status === 'completed' || t.status === 'failed') finished.add(t.id);
    } catch {
      // a torn line counts for nothing
    }
  });
  await items.read((line) => {
    try {
      const o = JSON.parse(line) as ItemOutcomeRecord;
      latest.set(o.key, o.outcome);
    } catch {
      // as above
    }
  });
  const outcomes = [...latest.values()];
  const soFar = {
    itemsPassed: outcomes.filter((o) => o === 'passed').length,
    itemsFailed: outcomes.filter((o) => o === 'failed').length,
    tasksFinished: finished.size,
  };

  const texts = new Map<string, string>();
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await tasks.read((line) => {
        const t = JSON.parse(line) as TaskRecord;
        const secs =
          t.started_at && t.finished_at
            ? ` ${((Date.parse(t.finished_at) - Date.parse(t.started_at)) / 1000).toFixed(1)}s`
            : '';
        print(
          `  ${MARK[t.status] ?? '·'} ${t.task_type.padEnd(6)} ${t.status.padEnd(9)} ${t.id}${secs}  ${t.direction.replace(/\s+/g, ' ').slice(0, 70)}`,
        );
      });
      let needTexts = false;
      const fresh: ItemOutcomeRecord[] = [];
      await items.read((line) => {
        const o = JSON.parse(line) as ItemOutcomeRecord;
        fresh.push(o);
        if (!texts.has(o.key)) needTexts = true;
      });
      if (needTexts) {
        const b = await loadBacklog({
          projectRoot: paths.projectRoot,
          productBacklog: config.PIPELINE_BACKLOG,
          metaBacklog: config.PIPELINE_META_BACKLOG,
          metaRatio: config.PIPELINE_META_RATIO,
        });
        for (const i of b.items) texts.set(i.key, i.text);
      }
      for (const o of fresh) print(`Item ${o.outcome}: ${texts.get(o.key) ?? o.key}`);
    } catch {
      // a torn line is read again complete on the next tick
    } finally {
      busy = false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  return {
    soFar,
    start() {
      timer ??= setInterval(() => void tick(), everyMs);
      void tick();
    },
    stop: () => clearInterval(timer),
  };
}
