import type { EnvConfig, ProjectPaths } from '../config';
import { loadBacklog } from '../backlog/load';
import { itemsFile } from '../backlog/outcomes';
import type { ItemOutcomeRecord, TaskRecord } from '../shared/types';
import { tasksFile } from '../tasks/store';
import { TailReader } from '../util/tail-reader';

const MARK: Record<string, string> = { completed: '✓', failed: '✗', running: '▶' };

/** Prints tasks as they start and end and items as they finish, by tailing the state dir. */
export function watchProgress(config: EnvConfig, paths: ProjectPaths, print: (line: string) => void, everyMs = 500): { stop(): void } {
  const tasks = new TailReader(tasksFile(paths.stateDir));
  const items = new TailReader(itemsFile(paths.stateDir));
  const texts = new Map<string, string>();
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      await tasks.read((line) => {
        const t = JSON.parse(line) as TaskRecord;
        const secs = t.started_at && t.finished_at ? ` ${((Date.parse(t.finished_at) - Date.parse(t.started_at)) / 1000).toFixed(1)}s` : '';
        print(`  ${MARK[t.status] ?? '·'} ${t.task_type.padEnd(6)} ${t.status.padEnd(9)} ${t.id}${secs}  ${t.direction.replace(/\s+/g, ' ').slice(0, 70)}`);
      });
      let needTexts = false;
      const outcomes: ItemOutcomeRecord[] = [];
      await items.read((line) => {
        const o = JSON.parse(line) as ItemOutcomeRecord;
        outcomes.push(o);
        if (!texts.has(o.key)) needTexts = true;
      });
      if (needTexts) {
        const b = await loadBacklog({ projectRoot: paths.projectRoot, productBacklog: config.PIPELINE_BACKLOG, metaBacklog: config.PIPELINE_META_BACKLOG, metaRatio: config.PIPELINE_META_RATIO });
        for (const i of b.items) texts.set(i.key, i.text);
      }
      for (const o of outcomes) print(`Item ${o.outcome}: ${texts.get(o.key) ?? o.key}`);
    } catch {
      // a torn line is read again complete on the next tick
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs);
  void tick();
  return { stop: () => clearInterval(timer) };
}
