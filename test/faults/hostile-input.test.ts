import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { spawnCli } from '../helpers/cli';
import { git, makeProject, readJsonl } from '../helpers/project';
import { startTestWorker, testAddress, testClient, testConfig } from '../helpers/temporal';

const canary = mkdtempSync(path.join(os.tmpdir(), 'nightshift-canary-'));
const HOSTILE = [
  `Add $(touch ${canary}/pwned) support`,
  `Quote \`touch ${canary}/pwned2\` and "double" and 'single'`,
  `Clean up; rm -rf ${canary} && echo gone | tee ${canary}/pwned3`,
  `Long item ${'x'.repeat(10_000)}`,
];

describe('bad input: hostile backlog lines', () => {
  for (const agent of ['command', 'demo'] as const) {
    test(`when the ${agent} agent gets items with shell syntax and a 10 kB line, then nothing is executed and the text reaches the agent and the commit literally`, async () => {
      const project = makeProject(HOSTILE, { review: [{ output: 'VERDICT: pass' }] });
      // a line with bytes that are not UTF-8 is read as text (invalid bytes become U+FFFD), never as code
      writeFileSync(
        project.backlogPath,
        Buffer.concat([readFileSync(project.backlogPath), Buffer.from('5. Bytes \xff\xfe here $(id)\n', 'latin1')]),
      );
      const config = testConfig({
        ...(agent === 'command'
          ? { PIPELINE_AGENT_COMMAND: project.agentCommand }
          : { PIPELINE_AGENT: 'demo', DEMO_AGENT_DELAY_MS: '0' }),
        PIPELINE_META_RATIO: '0',
        PIPELINE_AUTO_COMMIT: '1',
      });
      const t = testClient(config);
      const worker = await startTestWorker(config);
      try {
        const started = await startPipeline(t, config, projectPaths(config, project.root), { once: true });
        const result = await t.client.workflow.getHandle(started.workflowId).result();
        expect(result).toMatchObject({ itemsPassed: 5, itemsFailed: 0 });
        expect(readdirSync(canary)).toEqual([]); // nothing ran: no pwned files, the folder still exists
        const subjects = git(project.root, 'log', '--format=%s');
        expect(subjects).toContain(
          `Write or expand the spec for: Add $(touch ${canary}/pwned) support. Use s...`.slice(0, 60),
        );
        expect(subjects).toContain('Write or expand the spec for: Quote `touch');
        const tasks = readJsonl<{ direction: string }>(
          path.join(projectPaths(config, project.root).stateDir, 'tasks.jsonl'),
        );
        expect(
          tasks.some((x) => x.direction.includes(`Clean up; rm -rf ${canary} && echo gone | tee ${canary}/pwned3`)),
        ).toBe(true);
        expect(tasks.some((x) => x.direction.includes('x'.repeat(10_000)))).toBe(true);
        expect(tasks.some((x) => x.direction.includes('Bytes \uFFFD\uFFFD here $(id)'))).toBe(true);
        if (agent === 'command')
          expect(project.calls().some((c) => c.direction.includes(`Add $(touch ${canary}/pwned) support`))).toBe(true);
      } finally {
        await worker.stop();
        await t.close();
      }
    });
  }
});

describe('security: secrets stay out of logs, output and the agent environment', () => {
  test('when PIPELINE_API_TOKEN is set for the worker, then no log, task record, metrics line or agent environment contains it', async () => {
    const secret = 'nightshift-test-secret-0f3c9a';
    const project = makeProject(['Print the environment'], {
      default: [{ output: 'printed my environment to the task log' }],
      review: [{ output: 'VERDICT: pass' }],
    });
    const env = {
      TEMPORAL_ADDRESS: testAddress(),
      PIPELINE_AGENT_COMMAND: JSON.stringify([
        process.execPath,
        '-e',
        'console.log(JSON.stringify(process.env)); console.log("VERDICT: pass")',
        '{task_id}',
      ]),
      PIPELINE_META_RATIO: '0',
      PIPELINE_API_TOKEN: secret,
      NIGHTSHIFT_LOG_LEVEL: 'debug',
      PIPELINE_IMPL_NO_CHANGE: 'allow',
    }; // this agent only prints: its impl tasks are completions here
    const config = testConfig(env);
    const t = testClient(config);
    const worker = spawnCli(['worker', '--project', project.root], {
      ...env,
      TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    });
    try {
      const paths = projectPaths(config, project.root);
      const started = await startPipeline(t, config, paths, { once: true });
      await t.client.workflow.getHandle(started.workflowId).result();
      worker.kill('SIGTERM');
      await new Promise((r) => worker.once('exit', r));
      const logs = readdirSync(paths.taskLogsDir).map((f) => readFileSync(path.join(paths.taskLogsDir, f), 'utf8'));
      expect(logs.length).toBe(4);
      expect(logs.join('\n')).toContain('NIGHTSHIFT_TASK_ID'); // the agent really printed its environment
      const everything = [
        worker.output(),
        ...logs,
        readFileSync(paths.metricsFile, 'utf8'),
        readFileSync(path.join(paths.stateDir, 'tasks.jsonl'), 'utf8'),
      ].join('\n');
      expect(everything).not.toContain(secret);
      expect(existsSync(paths.metricsFile)).toBe(true);
    } finally {
      worker.kill('SIGKILL');
      await t.close();
    }
  });
});
