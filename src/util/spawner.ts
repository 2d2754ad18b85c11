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

/** What the helper says about a command: see spawn-helper.ts for the protocol. */
interface HelperReply {
  id: number;
  spawned?: number;
  out?: string;
  from?: 'stdout' | 'stderr';
  code?: number | null;
  signal?: string | null;
  stdout?: string;
  stderr?: string;
  stalled?: boolean;
  error?: string;
  errno?: string | null;
}

interface Pending {
  /** True when the reply ends the command. */
  reply(reply: HelperReply): boolean;
  fail(err: Error): void;
}

interface Helper {
  child: ChildProcess;
  pending: Map<number, Pending>;
}

/** A long command run through the helper (an agent, the test command): its output arrives as it comes. */
export interface StreamRequest {
  argv: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed (otherwise stdin is /dev/null). */
  stdinText?: string;
}

export interface StreamHandlers {
  /** The command runs, as the leader of its own process group `pid` (signals go to it directly, not through the helper). */
  spawned(pid: number): void;
  output(chunk: string, from: 'stdout' | 'stderr'): void;
}

/**
 * Commands started from a small helper process instead of this one: a fork of a large worker costs its main thread
 * 10–20 ms per command, the helper's about 1. One helper per Spawner, started on first use, started again when it
 * ended; it does not keep this process alive while idle. Each command gets the environment given with it; the
 * helper itself runs with an empty one.
 */
export class Spawner {
  private helper: Helper | null = null;
  private nextId = 1;
  private helperBuilt: boolean | null = null;

  /** The helper's pid while it runs (its CPU time is part of what the commands cost). */
  pid(): number | null {
    return this.helper?.child.pid ?? null;
  }

  /** Whether the helper can run here (its script is built); without it commands start from this process. */
  available(): boolean {
    return (this.helperBuilt ??= existsSync(spawnHelperScript()));
  }

  /** A short command run to its end, its output collected; killed with its group when silent for `stallMs`. */
  run(argv: string[], cwd: string, stallMs: number, env: NodeJS.ProcessEnv): Promise<CommandOutcome> {
    if (!this.available()) return runCommand({ argv, cwd, stallMs, env });
    return new Promise<CommandOutcome>((resolve, reject) => {
      this.send(
        { argv, cwd, stallMs, env },
        {
          reply: (r) => {
            if (r.error !== undefined) reject(new CommandStartError(r.error, r.errno ?? null));
            else
              resolve({
                code: r.code ?? null,
                signal: r.signal ?? null,
                stdout: r.stdout ?? '',
                stderr: r.stderr ?? '',
                stalled: r.stalled ?? false,
              });
            return true;
          },
          fail: reject,
        },
      );
    });
  }

  /**
   * A long command: resolves with its exit code or signal once it has ended and its output has been read; rejects with
   * a CommandStartError when it could not start, or a SpawnHelperGoneError when the helper ended first (the command's
   * group is then the caller's to kill). Only where `available()`.
   */
  stream(req: StreamRequest, on: StreamHandlers): Promise<{ code: number | null; signal: string | null }> {
    return new Promise((resolve, reject) => {
      this.send(
        { mode: 'stream', ...req },
        {
          reply: (r) => {
            if (r.spawned !== undefined) on.spawned(r.spawned);
            else if (r.out !== undefined) on.output(r.out, r.from ?? 'stdout');
            else if (r.error !== undefined) reject(new CommandStartError(r.error, r.errno ?? null));
            else resolve({ code: r.code ?? null, signal: r.signal ?? null });
            return r.spawned === undefined && r.out === undefined;
          },
          fail: reject,
        },
      );
    });
  }

  private send(request: Record<string, unknown>, pending: Pending): void {
    const helper = this.ensure();
    const id = this.nextId++;
    helper.pending.set(id, pending);
    if (helper.pending.size === 1) setRef(helper.child, true);
    helper.child.stdin!.write(`${JSON.stringify({ id, ...request })}\n`);
  }

  private ensure(): Helper {
    if (this.helper) return this.helper;
    const child = spawn(process.execPath, [spawnHelperScript()], { env: {}, stdio: ['pipe', 'pipe', 'ignore'] });
    const helper: Helper = { child, pending: new Map() };
    this.helper = helper;
    const gone = (why: string) => {
      if (this.helper === helper) this.helper = null;
      for (const p of helper.pending.values()) p.fail(new SpawnHelperGoneError(`the spawn helper ${why}`));
      helper.pending.clear();
    };
    child.on('error', (err) => gone(`could not run: ${err.message}`));
    child.on('exit', (code, signal) => gone(`ended (${signal ?? `exit ${code}`}) while the command ran`));
    child.stdin!.on('error', () => undefined); // a write to a helper that just ended: 'exit' answers the callers
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: HelperReply;
      try {
        reply = JSON.parse(line) as HelperReply;
      } catch {
        return; // not a reply (the helper writes only whole JSON lines): never a reason to take the worker down
      }
      const p = helper.pending.get(reply.id);
      if (!p || !p.reply(reply)) return;
      helper.pending.delete(reply.id);
      if (helper.pending.size === 0) setRef(child, false);
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

/** The worker's one spawn helper: its git commands, agents and test commands start from it. */
export const commandSpawner = new Spawner();
