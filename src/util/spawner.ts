import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from './package-root';
import { CommandStartError, runCommand, type CommandOutcome } from './run-command';

/** The spawn helper ended (killed, say) while the command ran: whether the command ran is not known. */
export class SpawnHelperGoneError extends Error {
  override readonly name = 'SpawnHelperGoneError';
}

/** The spawn helper script (see spawn-helper.ts), built into lib/ whether nightshift runs from src/ (tests) or lib/. */
export function spawnHelperScript(): string {
  return path.join(packageRoot(), 'lib', 'util', 'spawn-helper.js');
}

interface Pending {
  resolve(outcome: CommandOutcome): void;
  reject(err: Error): void;
}

interface Helper {
  child: ChildProcess;
  pending: Map<number, Pending>;
}

interface HelperReply {
  id: number;
  code?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  stalled?: boolean;
  error?: string;
  errno?: string | null;
}

/**
 * Short commands (git) started from a small helper process instead of this one: a fork of a large worker costs its
 * main thread 10–20 ms per command, the helper's about 1. One helper per Spawner, started on first use, started
 * again when it ended; it does not keep this process alive while idle.
 */
export class Spawner {
  private helper: Helper | null = null;
  private nextId = 1;
  private helperBuilt: boolean | null = null;

  /** `env` is read for every command: the environment a command gets is the one of the moment it starts. */
  constructor(private readonly env: () => NodeJS.ProcessEnv) {}

  /** The helper's pid while it runs (its CPU time is part of what the commands cost). */
  pid(): number | null {
    return this.helper?.child.pid ?? null;
  }

  run(argv: string[], cwd: string, stallMs: number): Promise<CommandOutcome> {
    // Where the helper is not built (nightshift run from its sources without a build), commands start from here.
    const env = this.env();
    if (!(this.helperBuilt ??= spawnHelperAvailable())) return runCommand({ argv, cwd, stallMs, env });
    const helper = this.ensure();
    const id = this.nextId++;
    return new Promise<CommandOutcome>((resolve, reject) => {
      helper.pending.set(id, { resolve, reject });
      if (helper.pending.size === 1) setRef(helper.child, true);
      helper.child.stdin!.write(`${JSON.stringify({ id, argv, cwd, stallMs, env })}\n`);
    });
  }

  private ensure(): Helper {
    if (this.helper) return this.helper;
    const child = spawn(process.execPath, [spawnHelperScript()], {
      env: this.env(),
      stdio: ['pipe', 'pipe', 'ignore'],
      shell: false,
    });
    const helper: Helper = { child, pending: new Map() };
    this.helper = helper;
    const gone = (why: string) => {
      if (this.helper === helper) this.helper = null;
      for (const p of helper.pending.values()) p.reject(new SpawnHelperGoneError(`the spawn helper ${why}`));
      helper.pending.clear();
    };
    child.on('error', (err) => gone(`could not run: ${err.message}`));
    child.on('exit', (code, signal) => gone(`ended (${signal ?? `exit ${code}`}) while the command ran`));
    child.stdin!.on('error', () => undefined); // a write to a helper that just ended: 'exit' answers the callers
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const reply = JSON.parse(line) as HelperReply;
      const p = helper.pending.get(reply.id);
      if (!p) return;
      helper.pending.delete(reply.id);
      if (helper.pending.size === 0) setRef(child, false);
      if (reply.error !== undefined) p.reject(new CommandStartError(reply.error, reply.errno ?? null));
      else
        p.resolve({
          code: reply.code ?? null,
          signal: reply.signal ?? null,
          stdout: reply.stdout ?? '',
          stderr: reply.stderr ?? '',
          stalled: reply.stalled ?? false,
        });
    });
    setRef(child, false);
    return helper;
  }
}

/** An idle helper must not keep this process alive; one with a command running must. */
function setRef(child: ChildProcess, on: boolean): void {
  const handles = [child, child.stdin, child.stdout] as unknown as ({ ref?(): void; unref?(): void } | null)[];
  for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
}

/** Whether the helper can run here (its script is built); without it commands are started from this process. */
export function spawnHelperAvailable(): boolean {
  return existsSync(spawnHelperScript());
}
