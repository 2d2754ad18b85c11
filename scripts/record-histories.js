#!/usr/bin/env node
'use strict';
/**
 * Records real workflow histories for the replay tests (test/replay): runs a
 * small pipeline (two items; a 30 % demo failure rate makes the fix loop appear) with the demo
 * agent on a throwaway dev server and writes the pipeline's, its monitor's and one item's
 * history, and its monitor's, to test/fixtures/histories/. Rerun only when a workflow change is
 * meant to be incompatible (and then version it with patched()).
 *   node scripts/setup.js && node scripts/record-histories.js
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const root = path.resolve(__dirname, '..');
const L = (p) => require(path.join(root, 'lib', p));
const { historyToJSON } = require('@temporalio/common/lib/proto-utils');

async function main() {
  const { loadEnvConfig, projectPaths } = L('config');
  const { startDevServer } = L('temporal/dev-server');
  const { createTemporalClient, waitForTemporal } = L('temporal/connection');
  const { createNightshiftWorker, installRuntime } = L('worker/run');
  const { createLogger } = L('logger');
  const { startPipeline } = L('cli/commands/start');
  const { resolveTemporalCli } = L('temporal/cli-path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nightshift-record-'));
  fs.mkdirSync(path.join(dir, 'specs'));
  fs.writeFileSync(
    path.join(dir, 'specs', '006-overnight-backlog.md'),
    '1. Record a history\n2. Record another history\n',
  );
  execFileSync('git', ['init', '-q'], { cwd: dir });
  const port = 17000 + Math.floor(Math.random() * 1000);
  const config = loadEnvConfig({
    PATH: process.env.PATH,
    PIPELINE_AGENT: 'demo',
    DEMO_AGENT_DELAY_MS: '10',
    NIGHTSHIFT_TEMPORAL_PORT: String(port),
    PIPELINE_META_RATIO: '0',
    PIPELINE_MAX_ITERATIONS: '5',
    DEMO_AGENT_FAIL_RATE: '0.3',
    PIPELINE_MONITOR_INTERVAL_SECONDS: '0.5',
    PIPELINE_AUTO_FIX_ENABLED: '1',
  });
  const paths = projectPaths(config, dir);
  const server = await startDevServer({
    cliPath: resolveTemporalCli(undefined, process.env.PATH),
    port,
    uiPort: null,
    dbFile: path.join(dir, 'db', 'temporal.db'),
    logFile: path.join(dir, 'server.log'),
  });
  const t = createTemporalClient(config);
  try {
    await waitForTemporal(t, 30);
    installRuntime(createLogger('record', 'error'), 'ERROR');
    const w = await createNightshiftWorker({ config });
    const running = w.run();
    const started = await startPipeline(t, config, paths, { once: true });
    await t.client.workflow.getHandle(started.workflowId).result();
    const out = path.join(root, 'test', 'fixtures', 'histories');
    fs.mkdirSync(out, { recursive: true });
    const save = async (workflowId, name) => {
      const history = await t.client.workflow.getHandle(workflowId).fetchHistory();
      fs.writeFileSync(path.join(out, name), historyToJSON(history));
      console.log(`wrote ${name} (${history.events.length} events)`);
    };
    await save(started.workflowId, 'pipeline.json');
    const monitorId = `nightshift-${paths.projectId}-monitor`;
    await t.client.workflow.getHandle(monitorId).result();
    await save(monitorId, 'monitor.json');
    for await (const wf of t.client.workflow.list({ query: `WorkflowType = 'itemWorkflow'` })) {
      await save(wf.workflowId, 'item.json');
      break;
    }
    w.shutdown();
    await running;
  } finally {
    await t.close();
    await server.stop();
  }
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
