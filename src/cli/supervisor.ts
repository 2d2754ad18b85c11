import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger';

export interface SupervisedProcess {
  name: string;
  stop(): Promise<void>;
}

/**
 * Runs a nightshift service (worker, api) as a child process and restarts it
 * with backoff when it crashes; `stop()` ends it with SIGTERM (SIGKILL after
 * a grace period) and stops restarting.
 */
export async function supervise(o: { name: string; args: string[]; env: NodeJS.ProcessEnv; logFile: string; logger: Logger; cwd: string }): Promise<SupervisedProcess> {
  await mkdir(path.dirname(o.logFile), { recursive: true });
  const log = createWriteStream(o.logFile, { flags: 'a' });
  let child: ChildProcess | null = null;
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const script = path.resolve(__dirname, '..', '..', 'bin', 'nightshift.js');
  const launch = () => {
    const startedAt = Date.now();
    const c = spawn(process.execPath, [script, ...o.args], { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    c.stdout?.pipe(log, { end: false });
    c.stderr?.pipe(log, { end: false });
    c.once('exit', (code, signal) => {
      if (stopping) return;
      failures = Date.now() - startedAt > 60_000 ? 1 : failures + 1;
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
      o.logger.warn(`${o.name} exited; restarting`, { code, signal, inMs: delay, log: o.logFile });
      restartTimer = setTimeout(launch, delay);
    });
  };
  launch();
  return {
    name: o.name,
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const kill = setTimeout(() => c.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(kill);
      }
      log.end();
    },
  };
}
