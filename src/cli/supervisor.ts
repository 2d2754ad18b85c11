import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Logger } from '../logger';
import { lineSink, RotatingFile } from '../util/rotating-file';

export interface SupervisedProcess {
  name: string;
  pid(): number | null;
  stop(): Promise<void>;
}

/**
 * Runs a nightshift service (worker, api) as a child process and restarts it
 * with backoff when it crashes; `stop()` ends it with SIGTERM (SIGKILL after
 * a grace period) and stops restarting.
 */
export async function supervise(o: {
  name: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  logMaxBytes: number;
  logger: Logger;
  cwd: string;
}): Promise<SupervisedProcess> {
  const log = new RotatingFile(o.logFile, o.logMaxBytes);
  let child: ChildProcess | null = null;
  let stopping = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const script = path.resolve(__dirname, '..', '..', 'bin', 'nightshift.js');
  const launch = () => {
    const startedAt = Date.now();
    const c = spawn(process.execPath, [script, ...o.args], {
      cwd: o.cwd,
      env: o.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.on('data', lineSink(log));
    c.stderr?.on('data', lineSink(log));
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
    pid: () => child?.pid ?? null,
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
      log.close();
    },
  };
}
