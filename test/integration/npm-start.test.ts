import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/global-setup';
import { groupMembers } from '../helpers/processes';
import { waitFor } from '../helpers/project';

const ROOT = path.resolve(__dirname, '../..');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('npm start (the demo pipeline on the embedded server)', () => {
  test('when started, then it prints the URLs and the demo path, an item passes, the API answers, and Ctrl-C stops every process', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    const demoDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'nightshift-npm-start-')), 'demo');
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      detached: true, // its own process group, like a terminal job: Ctrl-C goes to the whole group
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(apiPort),
        NIGHTSHIFT_TEMPORAL_PORT: String(temporalPort),
        NIGHTSHIFT_TEMPORAL_UI_PORT: String(uiPort),
        NIGHTSHIFT_DEMO_DIR: demoDir,
        DEMO_AGENT_DELAY_MS: '50',
        TEMPORAL_ADDRESS: '',
        PIPELINE_AGENT: '',
        PIPELINE_AGENT_COMMAND: '',
      },
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    try {
      await waitFor(() => out.includes('Item passed:'), 120_000, `an item to pass; output so far:\n${out}`);
      expect(out).toContain(`API:          http://127.0.0.1:${apiPort}/api/agent/pipeline-status`);
      expect(out).toMatch(new RegExp(`Temporal UI: +http://127\\.0\\.0\\.1:${uiPort}/namespaces/default/workflows/nightshift-demo-`));
      expect(out).toContain(`Project:      ${demoDir}`);
      expect(out).toMatch(/✓ review\s+completed task_[0-9a-f]{16}/);

      const status = await (await fetch(`http://127.0.0.1:${apiPort}/api/agent/pipeline-status`)).json();
      expect(status.pipeline.items_by_state.passed).toBeGreaterThanOrEqual(1);
      expect(status.pipeline.items.length).toBeGreaterThanOrEqual(6); // 5 product + 1 meta demo items
      expect(await portOpen(uiPort)).toBe(true); // the Web UI is served

      process.kill(-child.pid!, 'SIGINT');
      const { code, signal } = await exited;
      expect(out).toContain('Stopped.');
      // nightshift exits 0; npm, like in a terminal, then re-raises the SIGINT it got on itself
      expect(code === 0 || signal === 'SIGINT').toBe(true);
      await waitFor(() => groupMembers(child.pid!).length === 0, 20_000, 'every process of the group to exit');
      expect(await portOpen(temporalPort)).toBe(false);
      expect(await portOpen(apiPort)).toBe(false);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
