import path from 'node:path';
import type { TaskRecord, TaskStatus, TaskType } from '../shared/contracts/task';
import { appendLine } from '../util/jsonl';
import { SharedReads } from '../util/shared-reads';
import { TailReader } from '../util/tail-reader';

/**
 * The task store: `<state dir>/tasks.jsonl`, one snapshot of a task per line,
 * appended by the activities when a task starts and when it ends. The latest
 * line for an id wins. Durable across restarts, unlike the earlier system's
 * in-memory store.
 */
export function tasksFile(stateDir: string): string {
  return path.join(stateDir, 'tasks.jsonl');
}

export async function appendTaskSnapshot(stateDir: string, task: TaskRecord): Promise<void> {
  await appendLine(tasksFile(stateDir), JSON.stringify(task));
}

export interface TaskQuery {
  status?: TaskStatus;
  taskType?: TaskType;
  limit: number;
  offset: number;
}

function isTaskRecord(v: unknown): v is TaskRecord {
  const r = v as TaskRecord;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof r.id === 'string' &&
    typeof r.created_at === 'string' &&
    typeof r.status === 'string'
  );
}

/** Folds the snapshots into the latest record per task, reading only new lines on each call. */
export class TaskIndex {
  private readonly reader: TailReader;
  private readonly byId = new Map<string, TaskRecord>();
  private sorted: TaskRecord[] | null = null;
  /**
   * Lines read so far that were not a task record: torn fragments (a crash or a full disk mid-write) and foreign lines.
   */
  skippedLines = 0;
  /** Reads run one after another (they share the reader's offset), and concurrent callers share one. */
  private readonly reads = new SharedReads(() => this.readNew());

  constructor(readonly stateDir: string) {
    this.reader = new TailReader(tasksFile(stateDir));
  }

  refresh(): Promise<void> {
    return this.reads.next();
  }

  private async readNew(): Promise<void> {
    const fresh: TaskRecord[] = [];
    let skipped = 0;
    const { reset } = await this.reader.read((line) => {
      if (!line.trim()) return;
      try {
        const v: unknown = JSON.parse(line);
        if (isTaskRecord(v)) fresh.push(v);
        else skipped++;
      } catch {
        skipped++; // a torn or foreign line; the next snapshot of that task supersedes it
      }
    });
    if (reset) {
      this.byId.clear();
      this.skippedLines = 0;
    }
    this.skippedLines += skipped;
    if (reset || fresh.length) this.sorted = null;
    for (const t of fresh) this.byId.set(t.id, t);
  }

  async get(id: string): Promise<TaskRecord | undefined> {
    await this.refresh();
    return this.byId.get(id);
  }

  /** Newest first by created_at. */
  async all(): Promise<TaskRecord[]> {
    await this.refresh();
    this.sorted ??= [...this.byId.values()].sort((a, b) =>
      a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0,
    );
    return this.sorted;
  }

  async query(q: TaskQuery): Promise<{ tasks: TaskRecord[]; total: number }> {
    const matching = (await this.all()).filter(
      (t) => (!q.status || t.status === q.status) && (!q.taskType || t.task_type === q.taskType),
    );
    return { tasks: matching.slice(q.offset, q.offset + q.limit), total: matching.length };
  }

  async countByStatus(): Promise<{ total: number; by_status: Record<string, number> }> {
    const all = await this.all();
    const by: Record<string, number> = {};
    for (const t of all) by[t.status] = (by[t.status] ?? 0) + 1;
    return { total: all.length, by_status: by };
  }
}
