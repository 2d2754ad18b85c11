import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { devServerSearchAttributeArgs } from '../shared/search-attributes';
import { lineSink, RotatingFile } from '../util/rotating-file';

export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort: number | null; // null = headless
  dbFile: string;
  logFile: string;
  logMaxBytes?: number;
  namespace?: string;
  extraArgs?: string[];
}

export interface DevServer {
  process: ChildProcess;
  address: string;
  uiUrl: string | null;
  stop(): Promise<void>;
}

/** `temporal server start-dev` arguments: loopback only, SQLite persistence (WAL), optional Web UI. */
export function devServerArgs(o: DevServerOptions): string[] {
  return [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    ...(o.uiPort === null ? ['--headless'] : ['--ui-port', String(o.uiPort)]),
    '--db-filename',
    o.dbFile,
    '--sqlite-pragma',
    'journal_mode=WAL',
    '--sqlite-pragma',
    'synchronous=NORMAL',
    ...(o.namespace && o.namespace !== 'default' ? ['--namespace', o.namespace] : []),
    ...devServerSearchAttributeArgs(),
    '--log-format',
    'json',
    '--log-level',
    'warn',
    ...(o.extraArgs ?? []),
  ];
}

/** Starts the embedded dev server; the caller waits for it to answer (waitForTemporal). */
export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  await mkdir(path.dirname(o.dbFile), { recursive: true });
  await mkdir(path.dirname(o.dbFile), { recursive: true });
  const log = new RotatingFile(o.logFile, o.logMaxBytes ?? 10 * 1024 * 1024);
  const child = spawn(o.cliPath, devServerArgs(o), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', lineSink(log));
  child.stderr?.on('data', lineSink(log));
  child.once('exit', () => log.close());
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    process: child,
    address: `127.0.0.1:${o.port}`,
    uiUrl: o.uiPort === null ? null : `http://127.0.0.1:${o.uiPort}`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
