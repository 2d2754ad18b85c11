import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createApp } from '../../src/api/app';
import { startPipeline } from '../../src/cli/commands/start';
import { projectPaths, type EnvConfig, type ProjectPaths } from '../../src/config';
import { createLogger } from '../../src/logger';
import { MetricsStore } from '../../src/metrics/store';
import { ensureStateDir } from '../../src/settings/state-dir';
import { itemWorkflowId, pipelineWorkflowId } from '../../src/shared/names';
import type { TaskRecord } from '../../src/shared/contracts/task';
import { TaskIndex } from '../../src/tasks/store';
import type { TemporalClient } from '../../src/temporal/connection';
import { makeProject, waitFor, type TempProject } from '../helpers/project';
import { endProjectWorkflows, startTestWorker, testClient, testConfig, type TestWorker } from '../helpers/temporal';

/**
 * The dashboard in a real browser: headless Chromium (Debian package `chromium`, installed by
 * scripts/setup.js when it can) driven by playwright-core, against a real pipeline on the suite's
 * Temporal server, with 10,000 older tasks in the history.
 */
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT_DIR = path.resolve(__dirname, '../../test-output');
const CHATTY_AGENT = path.resolve(__dirname, 'chatty-agent.js');
const SEEDED_TASKS = 10_000;
const TOKEN = 'browser-test-token-7f3a';
const FAKE_WEB_UI = 'http://127.0.0.1:8233';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    `Skipping the dashboard browser test: ${CHROMIUM} not found. Install the Debian package \`chromium\` (scripts/setup.js does this when run as root with apt-get, unless NIGHTSHIFT_SKIP_BROWSER_INSTALL=1).`,
  );
}
const describeInBrowser = haveChromium ? describe : describe.skip;

const ITEMS = ['Write the changelog', 'Pick a database'];
/** Scripted agent plan, consumed in order per task type: item 1 passes; item 2's impl fails twice, then asks. */
const PLAN = {
  spec: [{ sleepMs: 3000, output: 'Spec written: the behaviour is described in specs/100-feature.md' }],
  impl: [
    { sleepMs: 1500, output: 'Implemented the changelog writer.' },
    { exit: 1, output: 'impl broke: the module does not compile' },
    { exit: 1, output: 'impl broke again: same compile error' },
    { output: 'I need a choice first.\nNEEDS_DECISION: Use Postgres or SQLite?' },
    { output: 'Implemented with the chosen database.' },
  ],
  test: [{ output: 'Tests written and passing (3 tests).' }],
  review: [{ output: 'Looks good to me.\nVERDICT: pass' }],
};

/**
 * 10,000 finished tasks over the last 6 days, in the task store and the metrics store (no logs). The claude models
 * report tokens and cost, codex tokens only, cursor nothing; returns the token sums per model.
 */
function seedHistory(paths: ProjectPaths): Map<string, { reported: number; tokensIn: number; tokensOut: number }> {
  const types = ['spec', 'impl', 'test', 'review'] as const;
  const models = ['claude/sonnet', 'claude/opus', 'codex/gpt-5-codex', 'cursor/auto'];
  const base = { spec: 40, impl: 240, test: 90, review: 60 };
  const now = Date.now();
  const tasks: string[] = [];
  const metrics: string[] = [];
  const usage = new Map<string, { reported: number; tokensIn: number; tokensOut: number }>();
  for (let i = 0; i < SEEDED_TASKS; i++) {
    const type = types[i % 4];
    // sparse failures (never two in a row of one type), and the newest tasks all completed
    const failed = i % 9 === 0 && i < SEEDED_TASKS - 100;
    const created = new Date(now - 60 * 60_000 - (SEEDED_TASKS - i) * 50_000);
    const duration = base[type] * (0.5 + ((i * 37) % 100) / 50) + (failed ? 30 : 0);
    const started = new Date(created.getTime() + 2000);
    const finished = new Date(started.getTime() + duration * 1000);
    const id = `task_${i.toString(16).padStart(16, '0')}`;
    const record: TaskRecord = {
      id,
      task_type: type,
      status: failed ? 'failed' : 'completed',
      direction: `Seeded ${type} task ${i} for an old item`,
      model: models[i % models.length],
      item_key: `old-${Math.floor(i / 8)}`,
      iteration: 1,
      created_at: created.toISOString(),
      started_at: started.toISOString(),
      finished_at: finished.toISOString(),
      output: failed ? 'failed: seeded' : 'done: seeded output',
      exit_code: failed ? 1 : 0,
      decision_prompt: null,
      decision: null,
      workflow_id: null,
      output_chars: 18,
    };
    tasks.push(JSON.stringify(record));
    const figures: { tokens_in?: number; tokens_out?: number; cost_usd?: number } = record.model.startsWith('cursor/')
      ? {}
      : {
          tokens_in: 1000 + i,
          tokens_out: 100 + (i % 50),
          ...(record.model.startsWith('claude/') && { cost_usd: 0.01 }),
        };
    if (figures.tokens_in !== undefined && figures.tokens_out !== undefined) {
      const u =
        usage.get(record.model) ??
        usage.set(record.model, { reported: 0, tokensIn: 0, tokensOut: 0 }).get(record.model)!;
      u.reported++;
      u.tokensIn += figures.tokens_in;
      u.tokensOut += figures.tokens_out;
    }
    metrics.push(
      JSON.stringify({
        task_id: id,
        task_type: type,
        model: record.model,
        duration_seconds: Math.round(duration * 10) / 10,
        status: record.status,
        created_at: created.toISOString().replace('Z', '+00:00'),
        ...figures,
      }),
    );
  }
  mkdirSync(path.dirname(paths.metricsFile), { recursive: true });
  writeFileSync(path.join(paths.stateDir, 'tasks.jsonl'), tasks.join('\n') + '\n');
  writeFileSync(paths.metricsFile, metrics.join('\n') + '\n');
  return usage;
}

function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

describeInBrowser('dashboard in headless Chromium against a running pipeline', () => {
  let project: TempProject;
  let config: EnvConfig;
  let paths: ProjectPaths;
  let t: TemporalClient;
  let worker: TestWorker;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  let seededUsage: ReturnType<typeof seedHistory>;
  const problems: string[] = [];
  const requests: { url: string; method: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    project = makeProject(ITEMS, PLAN);
    const agentCommand = JSON.stringify([
      process.execPath,
      CHATTY_AGENT,
      project.planFile,
      '{task_type}',
      '{task_id}',
      '{prompt_file}',
    ]);
    config = testConfig({
      PIPELINE_AGENT_COMMAND: agentCommand,
      PIPELINE_META_RATIO: '0',
      PIPELINE_MAX_ITERATIONS: '10',
      PIPELINE_REPEATED_FAILURES: '2',
      PIPELINE_MONITOR_INTERVAL_SECONDS: '1',
      PIPELINE_API_TOKEN: TOKEN,
    });
    paths = projectPaths(config, project.root);
    await ensureStateDir(paths.projectRoot, paths.stateDir);
    seededUsage = seedHistory(paths);
    t = testClient(config);
    worker = await startTestWorker(config);
    const app = createApp({
      config,
      paths,
      temporal: t,
      metrics: new MetricsStore(paths.metricsFile),
      tasks: new TaskIndex(paths.stateDir),
      logger: createLogger('test', 'error'),
      host: '127.0.0.1',
    });
    server = createServer(app.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'light' });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) =>
      problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`),
    );
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
    });
    page.on('request', (r) =>
      requests.push({ url: r.url(), method: r.method(), authorization: r.headers().authorization }),
    );
    // The suite's server is headless and named by TEMPORAL_ADDRESS, so the API rightly knows no Web UI;
    // pretend one is known to check the links the page builds from it.
    await page.route('**/api/dashboard/config', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, json: { ...(await response.json()), web_ui_url: FAKE_WEB_UI } });
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (t && paths) await endProjectWorkflows(t, paths.projectId);
    await worker?.stop();
    await t?.close();
  });

  const text = (selector: string) => page.locator(selector).first().textContent({ timeout: 5000 });
  const waitInPage = <T>(fn: (arg: T) => unknown, arg: T, what: string, timeout = 60_000) =>
    page.waitForFunction(fn, arg, { timeout, polling: 100 }).catch((err: Error) => {
      throw new Error(`timed out waiting for ${what}: ${err.message.split('\n')[0]}`);
    });

  test('when a pipeline runs, then the page follows it live: state, an item advancing, a live tail, a flag with its issue, a decision sent with the token, charts and a paged table — without reloading and without console errors', async () => {
    let loads = 0;
    page.on('load', () => loads++);
    await page.goto(`${base}/`);
    expect(loads).toBe(1);
    await page.evaluate(() => ((window as unknown as { __sameDocument: number }).__sameDocument = 42));

    // before the pipeline exists
    await waitInPage(
      () => document.querySelector('#pipeline-state')?.getAttribute('data-raw') === 'not_started',
      null,
      'the not-started state',
    );
    expect(await text('#pipeline-state')).toBe('not started');
    await waitInPage(
      () => document.querySelector('#conn')?.getAttribute('data-state') === 'live',
      null,
      'the first complete refresh',
    );
    expect(await text('#project')).toBe(paths.projectId);

    // the token, typed once: kept in sessionStorage, never in the URL
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type=submit]');
    expect(
      await page.evaluate(() => [sessionStorage.getItem('nightshift.apiToken'), localStorage.length, location.href]),
    ).toEqual([TOKEN, 0, `${base}/`]);
    expect(await page.inputValue('#token-input')).toBe('');

    // 10,000 tasks of history: one page of 25 rows, paged on the server
    await waitInPage(
      (n) => document.querySelector('#page-info')?.textContent === `1–25 of ${n}`,
      SEEDED_TASKS.toLocaleString('en-US'),
      'the first page of seeded tasks',
    );
    expect(await page.locator('#task-rows tr').count()).toBe(25);
    await page.click('#next-page');
    await waitInPage(
      (n) => document.querySelector('#page-info')?.textContent === `26–50 of ${n}`,
      SEEDED_TASKS.toLocaleString('en-US'),
      'the second page',
    );
    expect(await page.locator('#task-rows tr').count()).toBe(25);
    await page.click('#prev-page');
    await waitInPage(
      () => document.querySelector('#page-info')?.textContent?.startsWith('1–25 of'),
      null,
      'back on the first page',
    );

    // start the pipeline: the page sees it running and the first item move from spec to passed
    const started = await startPipeline(t, config, paths, { once: true });
    await waitInPage(
      (n) => document.querySelectorAll('#items tr').length === n,
      ITEMS.length,
      'the items of the backlog',
    );
    const keys = new Map(
      await page
        .locator('#items tr')
        .evaluateAll((rows) =>
          rows.map(
            (r) => [r.querySelector('td')?.textContent ?? '', r.getAttribute('data-key') ?? ''] as [string, string],
          ),
        ),
    );
    const [first, second] = ITEMS.map((text) => keys.get(text)!);
    expect(first && second).toBeTruthy();
    await waitInPage(
      () => document.querySelector('#pipeline-state')?.getAttribute('data-raw') === 'running',
      null,
      'the running state',
    );
    expect(await text('#pipeline-state')).toBe('running');
    expect(await text('#pipeline-link')).toContain('Temporal UI');
    expect(await page.getAttribute('#pipeline-link', 'href')).toBe(
      `${FAKE_WEB_UI}/namespaces/default/workflows/${pipelineWorkflowId(paths.projectId)}`,
    );
    const row = (key: string) => `#items tr[data-key="${key}"]`;
    await waitInPage(
      (sel) => document.querySelector(sel)?.getAttribute('data-phase') === 'spec',
      row(first),
      'the first item in its spec phase',
    );
    expect(await text(`${row(first)} .badge`)).toBe('running');
    expect(await page.getAttribute(`${row(first)} a`, 'href')).toBe(
      `${FAKE_WEB_UI}/namespaces/default/workflows/${itemWorkflowId(paths.projectId, first)}`,
    );
    // the running task's log, live (a tail of it, never the whole log)
    await waitInPage(
      () =>
        /\[agent\] spec task_[0-9a-f]{16}: (editing files|checking the result)/.test(
          document.querySelector('#running-list .tail')?.textContent ?? '',
        ),
      null,
      'a live tail of the running spec task',
    );
    mkdirSync(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'dashboard-running.png'), fullPage: true });
    await waitInPage(
      (sel) => document.querySelector(sel)?.getAttribute('data-state') === 'passed',
      row(first),
      'the first item to pass',
      90_000,
    );
    expect(await text('#items-by-state li[data-state="passed"] b')).toBe('1');

    // pause and resume from the page while the second item runs: same-origin POSTs without a body, with the token
    expect(await page.isHidden('#pipeline-resume')).toBe(true);
    await page.click('#pipeline-pause');
    await waitInPage(
      () => document.querySelector('#pipeline-state')?.getAttribute('data-raw') === 'paused',
      null,
      'the paused state',
    );
    expect(await page.isHidden('#pipeline-pause')).toBe(true);
    await page.click('#pipeline-resume');
    await waitInPage(
      () => document.querySelector('#pipeline-state')?.getAttribute('data-raw') === 'running',
      null,
      'the running state again',
    );
    expect(await text('#control-message')).toBe('Resume sent.');

    // the second item's impl fails twice: the repeated_failures flag goes up, with the monitor's issue
    await waitInPage(
      () => document.querySelector('#flags li[data-flag="repeated_failures"]')?.classList.contains('on'),
      null,
      'the repeated_failures flag',
      90_000,
    );
    expect(await text('#attention-line')).toContain('repeated_failures');
    await waitInPage(
      () =>
        (document.querySelector('#issues li[data-condition="repeated_failures"] .suggested')?.textContent ?? '')
          .length > 10,
      null,
      'the open repeated_failures issue with its suggested action',
    );

    // the third impl asks: the decision box shows the question
    const waiting = await waitFor(
      async () => (await new TaskIndex(paths.stateDir).all()).find((x) => x.status === 'needs_decision'),
      60_000,
      'a task in needs_decision',
    );
    const box = `#decision-list li[data-key="${waiting.id}"]`;
    await page.locator(box).waitFor({ timeout: 30_000 });
    expect(await text(`${box} .prompt`)).toBe('Use Postgres or SQLite?');
    expect(await text(`${box} .item`)).toBe('Pick a database');
    expect(await text('#decisions-count')).toBe('1');
    await waitInPage(() => document.querySelector('#chart-by-model svg g.row') !== null, null, 'the duration charts');
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'dashboard.png'), fullPage: true });

    // answer it through the page: the POST carries the token, the task leaves needs_decision
    await page.fill(`${box} textarea`, 'SQLite, keep it simple');
    await page.click(`${box} button[type=submit]`);
    await waitInPage((sel) => document.querySelector(sel) === null, box, 'the decision box to empty');
    const decided = await waitFor(
      async () => {
        const task = await new TaskIndex(paths.stateDir).get(waiting.id);
        return task && task.status !== 'needs_decision' ? task : null;
      },
      30_000,
      'the task to leave needs_decision',
    );
    expect(decided).toMatchObject({ decision: 'SQLite, keep it simple' });
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts).toEqual(
      ['pipeline/pause', 'pipeline/resume', `tasks/${waiting.id}/decision`].map((p) => ({
        url: `${base}/api/agent/${p}`,
        method: 'POST',
        authorization: `Bearer ${TOKEN}`,
      })),
    );

    // the item goes on to pass, the flag clears, the pipeline ends
    await waitInPage(
      (sel) => document.querySelector(sel)?.getAttribute('data-state') === 'passed',
      row(second),
      'the second item to pass',
      90_000,
    );
    await waitInPage(
      () => !document.querySelector('#flags li[data-flag="repeated_failures"]')?.classList.contains('on'),
      null,
      'the flag to clear',
      30_000,
    );
    await t.client.workflow.getHandle(started.workflowId).result();
    await waitInPage(
      () => document.querySelector('#pipeline-state')?.textContent === 'stopped (completed)',
      null,
      'the completed state',
      30_000,
    );
    expect(await text('#items-by-state li[data-state="passed"] b')).toBe('2');

    // charts over the window: a bar per day, p50/p95 bars per task type and per model
    await page.selectOption('#window-days', '14');
    // from the window's first (partial) day to today
    await waitInPage(
      () => [14, 15].includes(document.querySelectorAll('#chart-success svg g.day').length),
      null,
      'the 14-day success chart',
    );
    expect(await page.locator('#chart-success svg g.day rect.bar:not(.none)').count()).toBeGreaterThanOrEqual(6);
    expect(
      await page.locator('#chart-by-type svg g.row').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-key'))),
    ).toEqual(['spec', 'impl', 'test', 'review']);
    const models = await page
      .locator('#chart-by-model svg g.row')
      .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-key')));
    expect(models).toEqual(
      expect.arrayContaining(['claude/sonnet', 'claude/opus', 'codex/gpt-5-codex', 'cursor/auto']),
    );
    expect(await page.locator('#chart-by-type svg g.row[data-key="impl"] rect.bar.p95').count()).toBe(1);
    // tokens and cost per model (only those that reported any) and per task type
    const usageRows = await page
      .locator('#usage tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const sonnet = seededUsage.get('claude/sonnet')!;
    expect(usageRows).toContainEqual([
      'model',
      'claude/sonnet',
      expect.stringMatching(new RegExp(`^${sonnet.reported.toLocaleString('en-US')} / [0-9,]+$`)),
      sonnet.tokensIn.toLocaleString('en-US'),
      sonnet.tokensOut.toLocaleString('en-US'),
      `$${(sonnet.reported * 0.01).toFixed(2)}`,
    ]);
    const codex = seededUsage.get('codex/gpt-5-codex')!;
    expect(usageRows).toContainEqual([
      'model',
      'codex/gpt-5-codex',
      expect.stringMatching(new RegExp(`^${codex.reported.toLocaleString('en-US')} / [0-9,]+$`)),
      codex.tokensIn.toLocaleString('en-US'),
      codex.tokensOut.toLocaleString('en-US'),
      '—',
    ]); // codex reports no cost
    expect(
      usageRows
        .filter((r) => r[0] === 'model')
        .map((r) => r[1])
        .sort(),
    ).toEqual(['claude/opus', 'claude/sonnet', 'codex/gpt-5-codex']);
    // review tasks all ran on cursor/auto (model and type go round together), which reports nothing
    expect(
      usageRows
        .filter((r) => r[0] === 'task type')
        .map((r) => r[1])
        .sort(),
    ).toEqual(['impl', 'spec', 'test']);

    // the recent-tasks table: newest first, links to each task's log and to its workflow in the Web UI
    const total = (await new TaskIndex(paths.stateDir).all()).length;
    await waitInPage(
      (n) => document.querySelector('#page-info')?.textContent === `1–25 of ${n}`,
      total.toLocaleString('en-US'),
      'the table to count the new tasks',
    );
    const newest = (await new TaskIndex(paths.stateDir).all())[0];
    const topRow = `#task-rows tr[data-key="${newest.id}"]`;
    await page.locator(topRow).waitFor({ timeout: 10_000 });
    expect(await page.getAttribute(`${topRow} .ui-col a`, 'href')).toBe(
      `${FAKE_WEB_UI}/namespaces/default/workflows/${newest.workflow_id}`,
    );
    expect(newest.workflow_id).toBe(itemWorkflowId(paths.projectId, second));
    await page.click(`${topRow} td:first-child a`);
    await waitInPage(
      () => (document.querySelector('#log-text')?.textContent ?? '').includes('VERDICT: pass'),
      null,
      'the log of the newest task',
    );
    expect(await page.evaluate(() => (document.querySelector('#log-dialog') as HTMLDialogElement).open)).toBe(true);
    await page.click('#log-close');
    expect(await page.evaluate(() => (document.querySelector('#log-dialog') as HTMLDialogElement).open)).toBe(false);

    // the page stays light: one page of rows, never the whole history; and it never reloaded
    expect(await page.locator('#task-rows tr').count()).toBe(25);
    expect(await page.evaluate(() => document.getElementsByTagName('*').length)).toBeLessThan(2500);
    expect(requests.some((r) => /[?&](limit=(?!25\b|100\b))/.test(r.url))).toBe(false);
    expect(requests.filter((r) => /\/log(\?|$)/.test(r.url) && !/[?&]tail_bytes=\d+/.test(r.url))).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument: number }).__sameDocument)).toBe(42);
    expect(loads).toBe(1);
    // every request stayed on nightshift's own origin, and the token never went into a URL
    expect(requests.filter((r) => !r.url.startsWith(`${base}/`))).toEqual([]);
    expect(requests.filter((r) => r.url.includes(TOKEN))).toEqual([]);
    await page.screenshot({ path: path.join(OUTPUT_DIR, 'dashboard-final.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 300_000);
});

describeInBrowser('dashboard in headless Chromium when reads need the token', () => {
  test('when PIPELINE_API_READ_TOKEN_REQUIRED=1, then the page asks for the token, and once typed sends it with every read', async () => {
    const project = makeProject(['Anything']);
    const config = testConfig({ PIPELINE_API_TOKEN: TOKEN, PIPELINE_API_READ_TOKEN_REQUIRED: '1' });
    const paths = projectPaths(config, project.root);
    const t = testClient(config);
    const app = createApp({
      config,
      paths,
      temporal: t,
      metrics: new MetricsStore(paths.metricsFile),
      tasks: new TaskIndex(paths.stateDir),
      logger: createLogger('test', 'error'),
      host: '127.0.0.1',
    });
    const server = createServer(app.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const reads: { url: string; authorization: string | undefined }[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        // Chromium logs each refused request; those 401s are the point of this test.
        if ((m.type() === 'error' || m.type() === 'warning') && !/status of 401/.test(m.text()))
          problems.push(`console.${m.type()}: ${m.text()}`);
      });
      page.on(
        'request',
        (r) => r.url().includes('/api/') && reads.push({ url: r.url(), authorization: r.headers().authorization }),
      );
      await page.goto(`${base}/`);
      await page.locator('#banner').waitFor({ state: 'visible', timeout: 30_000 });
      expect(await page.textContent('#banner')).toContain('needs the token to read');
      expect(await page.getAttribute('#conn', 'data-state')).toBe('auth');
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.every((r) => r.authorization === undefined)).toBe(true);

      const before = reads.length;
      await page.fill('#token-input', TOKEN);
      await page.press('#token-input', 'Enter');
      await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'live', null, {
        timeout: 30_000,
      });
      expect(await page.isHidden('#banner')).toBe(true);
      expect(await page.textContent('#project')).toBe(paths.projectId);
      expect(await page.textContent('#pipeline-state')).toBe('not started');
      const after = reads.slice(before);
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((r) => r.authorization !== `Bearer ${TOKEN}`)).toEqual([]);
      expect(reads.filter((r) => r.url.includes(TOKEN))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await t.close();
    }
  }, 120_000);
});

describeInBrowser('the loopback API and the web pages its user visits, in headless Chromium', () => {
  test('when a page of another origin posts a form or a no-cors fetch to the API, or a rebinding name serves it, then the API refuses (403, 421), while its own page still works', async () => {
    const project = makeProject(['Anything']);
    // the default mode: loopback, no token — the one a page of any site can reach
    const config = testConfig({});
    const paths = projectPaths(config, project.root);
    const t = testClient(config);
    const app = createApp({
      config,
      paths,
      temporal: t,
      metrics: new MetricsStore(paths.metricsFile),
      tasks: new TaskIndex(paths.stateDir),
      logger: createLogger('test', 'error'),
      host: '127.0.0.1',
    });
    const server = createServer(app.listener).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const base = `http://127.0.0.1:${port}`;
    // The attacker's site: its page POSTs to the API the way any page can without a preflight.
    const attackPage = `<!doctype html><title>evil</title>
      <form id="f" method="POST" action="${base}/api/agent/pipeline/pause" enctype="text/plain"><input name="a" value="b"></form>
      <script>
        fetch('${base}/api/agent/pipeline/stop', { method: 'POST', mode: 'no-cors', body: 'x' })
          .catch(() => undefined)
          .then(() => fetch('${base}/api/agent/pipeline/resume', { method: 'POST', mode: 'no-cors' }).catch(() => undefined))
          .then(() => document.getElementById('f').submit());
      </script>`;
    const evil = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage));
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    const evilPort = (evil.address() as AddressInfo).port;
    // evil.example resolves to 127.0.0.1, as a DNS-rebinding attacker makes it
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP evil.example 127.0.0.1',
      ],
    });
    try {
      const page = await browser.newPage();
      const answers: string[] = [];
      page.on(
        'response',
        (r) =>
          r.url().startsWith(base) &&
          answers.push(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`),
      );
      await page.goto(`http://evil.example:${evilPort}/`);
      await page.waitForURL(`${base}/api/agent/pipeline/pause`, { timeout: 30_000 });
      expect(answers.sort()).toEqual([
        'POST /api/agent/pipeline/pause 403',
        'POST /api/agent/pipeline/resume 403',
        'POST /api/agent/pipeline/stop 403',
      ]);
      expect(await page.textContent('body')).toContain('Cross-');

      // the rebinding: the API under the attacker's name (its page, then a same-"origin" read from it)
      const rebound = await page.goto(`http://evil.example:${port}/`);
      expect(rebound?.status()).toBe(421);
      expect(await page.evaluate(() => fetch('/api/agent/tasks').then((r) => r.status))).toBe(421);

      // the dashboard itself, same origin: its reads and a POST pass the rules (no pipeline here: 409)
      await page.goto(`${base}/`);
      await page.waitForFunction(() => document.querySelector('#conn')?.getAttribute('data-state') === 'live', null, {
        timeout: 30_000,
      });
      // (a string: the test's compiler would turn a dynamic import() in a function into require())
      const pause = await page.evaluate(
        "import('/dashboard/api.js').then((m) => m.api('/api/agent/pipeline/pause', { method: 'POST' }).then(() => 202, (e) => e.status))",
      );
      expect(pause).toBe(409);
    } finally {
      await browser.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await new Promise((r) => evil.close(r));
      await t.close();
    }
  }, 120_000);
});
