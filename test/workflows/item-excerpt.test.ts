import { ApplicationFailure } from '@temporalio/common';
import type { ItemInput, ItemResult, ReadItemTextInput } from '../../src/shared/contracts/pipeline';
import type { TaskSpec } from '../../src/shared/contracts/task';
import { testConfig, useTestWorker } from '../helpers/temporal';
import { agentResult, passingOutput, settingsFor, uniqueId, type Fakes } from './fakes';

/**
 * itemWorkflow started with an excerpt of a long text (issue 19): it reads the
 * whole text by key once, and every direction holds it. Real dev server, fake activities.
 */

const tasks = new Map<string, TaskSpec[]>();
const reads = new Map<string, ReadItemTextInput[]>();
const wholeTexts = new Map<string, string | null>();

const fakes: Fakes = {
  async runAgentTask(input) {
    tasks.get(input.task.item_key ?? '')?.push(input.task);
    return agentResult(passingOutput(input.task));
  },
  async finishTask() {
    return { metricsLineWritten: true };
  },
  async readItemText(input) {
    const list = reads.get(input.itemKey);
    if (!list) throw ApplicationFailure.nonRetryable(`no scenario for ${input.itemKey}`);
    list.push(input);
    return { text: wholeTexts.get(input.itemKey) ?? null };
  },
};

const config = testConfig();
const fixture = useTestWorker(config, fakes);

function run(key: string, extra: Partial<ItemInput>): Promise<ItemResult> {
  const input: ItemInput = {
    projectId: 'wftest',
    itemKey: key,
    itemText: `Excerpt of ${key}`,
    settings: settingsFor(key),
    ...extra,
  };
  return fixture.client().client.workflow.execute('itemWorkflow', {
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    workflowId: `wf-${key}`,
    args: [input],
  }) as Promise<ItemResult>;
}

function scenario(whole: string | null): string {
  const key = uniqueId('excerpt');
  tasks.set(key, []);
  reads.set(key, []);
  wholeTexts.set(key, whole);
  return key;
}

describe('itemWorkflow with an excerpt of its text', () => {
  test('when the item came as an excerpt, then it reads its whole text once by key and every direction holds it', async () => {
    const whole = 'Excerpt of the start, then the rest of a very long item ' + 'x'.repeat(5000);
    const key = scenario(whole);
    const result = await run(key, { itemTextExcerptOf: { length: whole.length, sha256: 'f'.repeat(64) } });
    expect(result.outcome).toBe('passed');
    expect(reads.get(key)).toEqual([
      expect.objectContaining({
        itemKey: key,
        stateDir: settingsFor(key).stateDir,
        productBacklog: 'specs/006-overnight-backlog.md',
      }),
    ]);
    const directions = tasks.get(key)!.map((t) => t.direction);
    expect(directions).toHaveLength(4);
    for (const d of directions) expect(d).toContain(`: ${whole}.`);
  });

  test('when the item came whole (no excerptOf), then it reads nothing and directions use its text', async () => {
    const key = scenario('never read');
    const result = await run(key, {});
    expect(result.outcome).toBe('passed');
    expect(reads.get(key)).toEqual([]);
    expect(tasks.get(key)![0].direction).toContain(`Write or expand the spec for: Excerpt of ${key}.`);
  });

  test('when the whole text is neither kept nor in the backlog, then the item fails saying so, and no agent runs on the excerpt', async () => {
    const key = scenario(null);
    const result = await run(key, { itemTextExcerptOf: { length: 99_999, sha256: 'f'.repeat(64) } });
    expect(result).toMatchObject({
      outcome: 'failed',
      reason: `the whole text of ${key} is no longer kept nor in the backlog`,
    });
    expect(tasks.get(key)).toEqual([]);
  });
});
