import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createActivities, type Activities } from '../../src/activities';
import { agentEnvironment, loadEnvConfig, type EnvConfig } from '../../src/config';
import { createTemporalClient, type TemporalClient } from '../../src/temporal/connection';
import { installRuntime } from '../../src/worker/run';
import { createLogger } from '../../src/logger';
import { waitFor } from './project';

export function testAddress(): string {
  const a = process.env.NIGHTSHIFT_TEST_TEMPORAL_ADDRESS;
  if (!a) throw new Error('NIGHTSHIFT_TEST_TEMPORAL_ADDRESS missing: the jest globalSetup starts the dev server');
  return a;
}

/** Config for tests: the suite's dev server, a unique task queue, and whatever the test overrides. */
export function testConfig(overrides: Record<string, string> = {}): EnvConfig {
  return loadEnvConfig({
    PATH: process.env.PATH,
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    ...overrides,
  });
}

export function testClient(config: EnvConfig): TemporalClient {
  return createTemporalClient(config);
}

let bundle: Promise<{ code: string }> | null = null;

/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../../src/workflows/index.ts'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } as never,
  });
  return bundle;
}

export interface TestWorker {
  worker: Worker;
  running: Promise<void>;
  stop(): Promise<void>;
}

/** A worker on the suite's server with real (or given fake) activities. */
export async function startTestWorker(config: EnvConfig, activities?: Partial<Activities>): Promise<TestWorker> {
  void installRuntime(createLogger('test-worker', 'error'), 'ERROR');
  const connection = await NativeConnection.connect({ address: testAddress() });
  const temporal = createTemporalClient(config);
  const worker = await Worker.create({
    connection,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowBundle: await workflowBundle(),
    activities: { ...createActivities({ agentEnv: agentEnvironment(), temporal }), ...activities },
    shutdownGraceTime: '5s',
  });
  const running = worker.run().finally(async () => {
    await connection.close();
    await temporal.close().catch(() => undefined);
  });
  return {
    worker,
    running,
    stop: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

/** Ends a project's pipeline and monitor workflows (tests that leave them running). */
export async function endProjectWorkflows(t: TemporalClient, projectId: string): Promise<void> {
  for (const id of [`nightshift-${projectId}`, `nightshift-${projectId}-monitor`])
    await t.client.workflow
      .getHandle(id)
      .terminate()
      .catch(() => undefined);
}

/** One client and one worker for a whole test file (faked activities optional). */
export function useTestWorker(config: EnvConfig, activities?: Partial<Activities>): { client(): TemporalClient } {
  let t: TemporalClient | undefined;
  let w: TestWorker | undefined;
  beforeAll(async () => {
    t = testClient(config);
    w = await startTestWorker(config, activities);
  });
  afterAll(async () => {
    await w?.stop();
    await t?.close();
  });
  return { client: () => t! };
}

/** temporal.api.enums.v1.TaskQueueType WORKFLOW and ACTIVITY (@temporalio/proto is no direct dependency). */
const TASK_QUEUE_TYPES = [1, 2];

/**
 * Waits until a worker with each of `identities` polls the task queue for both
 * workflow and activity tasks. A worker process that is still starting (bundling,
 * connecting) gets no task: a test about several workers starts its run only when
 * all of them can take one.
 */
export async function waitForPollers(
  t: TemporalClient,
  taskQueue: string,
  identities: string[],
  timeoutMs = 120_000,
): Promise<void> {
  const polling = async () => {
    const pollers = await Promise.all(
      TASK_QUEUE_TYPES.map((taskQueueType) =>
        t.connection.workflowService.describeTaskQueue({
          namespace: t.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType,
        }),
      ),
    );
    return identities.every((id) => pollers.every((r) => (r.pollers ?? []).some((p) => p.identity === id)));
  };
  await waitFor(polling, timeoutMs, `workers ${identities.join(', ')} to poll ${taskQueue}`);
}
