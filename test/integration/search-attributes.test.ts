import { projectPaths, type EnvConfig } from '../../src/config';
import { startPipeline } from '../../src/cli/commands/start';
import { itemKey } from '../../src/backlog/parse';
import { itemWorkflowId, pipelineWorkflowId } from '../../src/shared/names';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes';
import type { TemporalClient } from '../../src/temporal/connection';
import { makeProject, waitFor } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

describe('search attributes in the Web UI', () => {
  let config: EnvConfig;
  let t: TemporalClient;
  let worker: TestWorker;
  let projectId: string;

  beforeAll(async () => {
    const project = makeProject(['Add a search box']);
    config = testConfig({ PIPELINE_AGENT_COMMAND: project.agentCommand, PIPELINE_META_RATIO: '0' });
    t = testClient(config);
    worker = await startTestWorker(config);
    const paths = projectPaths(config, project.root);
    projectId = paths.projectId;
    const started = await startPipeline(t, config, paths, { once: true });
    await t.client.workflow.getHandle(started.workflowId).result();
  });

  afterAll(async () => {
    await endProjectWorkflows(t, projectId);
    await worker?.stop();
    await t?.close();
  });

  const ids = async (query: string) => {
    const found: string[] = [];
    for await (const w of t.client.workflow.list({ query })) found.push(w.workflowId);
    return found.sort();
  };

  test('when the namespace is checked, then NightshiftProject, NightshiftItem and NightshiftPhase are Keyword attributes', async () => {
    expect(await ensureSearchAttributes(t)).toBe(true);
    const listed = await t.connection.operatorService.listSearchAttributes({ namespace: t.namespace });
    for (const name of ['NightshiftProject', 'NightshiftItem', 'NightshiftPhase'])
      expect(listed.customAttributes?.[name]).toBe(2);
  });

  test('when a pipeline ran, then its pipeline, monitor and item workflows are found by project', async () => {
    const found = await waitFor(
      async () => {
        const list = await ids(`NightshiftProject = "${projectId}"`);
        return list.length >= 3 ? list : null;
      },
      15_000,
      'the project filter to find three workflows',
    );
    expect(found).toEqual(
      expect.arrayContaining([
        pipelineWorkflowId(projectId),
        `${pipelineWorkflowId(projectId)}-monitor`,
        itemWorkflowId(projectId, itemKey('Add a search box')),
      ]),
    );
    expect(await ids(`NightshiftProject = "${projectId}-other"`)).toEqual([]);
  });

  test('when an item went through its phases, then the item filter finds it in its last phase and its history shows each phase change', async () => {
    const key = itemKey('Add a search box');
    const item = itemWorkflowId(projectId, key);
    await waitFor(
      async () =>
        (
          await ids(`NightshiftProject = "${projectId}" AND NightshiftItem = "${key}" AND NightshiftPhase = "review"`)
        ).includes(item),
      15_000,
      'the item in phase review',
    );
    expect(await ids(`NightshiftProject = "${projectId}" AND NightshiftPhase = "spec"`)).not.toContain(item);
    const history = await t.client.workflow.getHandle(item).fetchHistory();
    // patched() markers upsert TemporalChangeVersion too; the phase changes are the upserts that carry NightshiftPhase.
    const upserts = (history.events ?? []).filter(
      (e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.NightshiftPhase,
    );
    const phases = upserts.map((e) => {
      const payload =
        e.upsertWorkflowSearchAttributesEventAttributes!.searchAttributes!.indexedFields!.NightshiftPhase!;
      return JSON.parse(Buffer.from(payload.data!).toString());
    });
    expect(phases).toEqual(['impl', 'test', 'review']);
  });
});
