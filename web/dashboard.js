/**
 * The nightshift dashboard: polls the JSON API every few seconds and updates the
 * page in place. Never loads all tasks: the table is one page of 25, decisions are
 * one page of needs_decision tasks, everything else comes from pipeline-status and
 * the metrics breakdown. All untrusted text goes in through textContent (dom.js).
 */
import { api, ApiError, token } from './api.js';
import { drawDurations, drawSuccessRate } from './charts.js';
import { $, formatAgo, formatDuration, formatInt, formatTime, h, setAttr, setData, setText, syncList } from './dom.js';
import { drawUsage } from './usage.js';

const POLL_MS = 2500;
const HIDDEN_POLL_MS = 15000;
const PAGE_SIZE = 25;
const MAX_ITEM_ROWS = 100;
const METRICS_EVERY_TICKS = 3;
const EXTRA_TAILS = 3;
/** How much of a log the page asks for: the end of it (`tail_bytes`), never a whole multi-MB log. */
const LOG_DISPLAY_BYTES = 256 * 1024;
const TAIL_BYTES = 16 * 1024;
const CONDITIONS = ['stuck', 'repeated_failures', 'low_success_rate', 'output_empty', 'executor_fail', 'blocked_step'];
const ITEM_STATE_ORDER = ['running', 'pending', 'failed', 'passed'];
const TASK_ID = /^task_[0-9a-f]{16}$/;

const state = {
  config: null,
  offset: 0,
  statusFilter: '',
  windowDays: 7,
  ticks: 0,
  metricsKey: '',
  metrics: null,
  itemText: new Map(),
  pipelineWorkflowId: null,
  timer: null,
  inFlight: false,
  again: false,
  tasksSeq: 0,
  logTaskId: null,
  logLive: false,
  lastUpdate: null,
};

// ---- links -------------------------------------------------------------------------------------

function webUiBase() {
  const url = state.config?.web_ui_url;
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url.replace(/\/+$/, '') : null;
}

/** `${web_ui_url}/namespaces/${ns}/workflows/${workflowId}`, or null when no Web UI is known. */
function workflowUrl(workflowId) {
  const base = webUiBase();
  if (!base || !workflowId) return null;
  return `${base}/namespaces/${encodeURIComponent(state.config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

function taskWorkflowId(t) {
  if (t.workflow_id) return t.workflow_id;
  return t.item_key && state.config ? `nightshift-${state.config.project_id}-item-${t.item_key}` : null;
}

const itemWorkflowId = (key) => (state.config ? `nightshift-${state.config.project_id}-item-${key}` : null);

function logLink(taskId, text = taskId) {
  return h('a', { href: `#log=${taskId}`, class: 'mono', title: 'show this task\u2019s log' }, text);
}

function setLink(a, url) {
  setAttr(a, 'href', url);
  a.hidden = !url;
}

// ---- pipeline ----------------------------------------------------------------------------------

const STATE_VIEW = {
  running: ['running', 'running'],
  paused: ['paused', 'paused'],
  stopping: ['stopping', 'stopping (running tasks finish)'],
  idle: ['idle', 'idle (waiting for work)'],
  not_started: ['not_started', 'not started'],
  completed: ['stopped', 'stopped (completed)'],
  terminated: ['stopped', 'stopped (terminated)'],
  canceled: ['stopped', 'stopped (canceled)'],
  cancelled: ['stopped', 'stopped (canceled)'],
  failed: ['stopped', 'stopped (failed)'],
  timed_out: ['stopped', 'stopped (timed out)'],
  continued_as_new: ['running', 'continuing as new'],
};

function renderPipeline(p) {
  const [kind, label] = STATE_VIEW[p.state] ?? ['stopped', p.state];
  const badge = $('#pipeline-state');
  setData(badge, 'state', kind);
  setData(badge, 'raw', p.state);
  setText(badge, label);
  const open = kind !== 'stopped' && kind !== 'not_started';
  const started = Date.parse(p.started_at ?? '');
  setText($('#uptime'), open && Number.isFinite(started) ? formatDuration((Date.now() - started) / 1000) : '—');
  setAttr($('#uptime'), 'title', p.started_at ? `started ${formatTime(p.started_at)}` : null);
  setText($('#can-count'), formatInt(p.continue_as_new_count));
  setText($('#tasks-run'), formatInt(p.tasks_run));
  setText($('#run-started'), p.run_started_at ? formatAgo(p.run_started_at) : '—');
  setText($('#worker'), p.worker === 'unavailable' ? 'not answering' : (p.worker ?? '—'));
  setText(
    $('#history'),
    p.history_length === null || p.history_length === undefined ? '—' : `${formatInt(p.history_length)} events`,
  );
  const notes = [];
  if (p.worker === 'unavailable') notes.push('No worker answers the status query: start one (nightshift worker).');
  if (p.rate_limited_until)
    notes.push(`Dispatch paused for an agent usage limit until ${formatTime(p.rate_limited_until)}.`);
  if (p.deadline && open) notes.push(`Runs until ${formatTime(p.deadline)}.`);
  setText($('#pipeline-note'), notes.join(' '));
  $('#pipeline-note').hidden = notes.length === 0;
  const controllable = p.state === 'running' || p.state === 'idle' || p.state === 'paused';
  $('#pipeline-pause').hidden = !controllable || !!p.paused;
  $('#pipeline-resume').hidden = !controllable || !p.paused;
  state.pipelineWorkflowId = p.workflow_id;
  setLink($('#pipeline-link'), workflowUrl(p.workflow_id));

  const counts = Object.entries(p.items_by_state ?? {}).sort(([a], [b]) => stateRank(a) - stateRank(b));
  syncList(
    $('#items-by-state'),
    counts,
    ([s]) => s,
    ([s]) => h('li', { class: 'chip', dataset: { state: s } }, h('b'), h('span')),
    (li, [s, n]) => {
      setText(li.querySelector('b'), formatInt(n));
      setText(li.querySelector('span'), s);
    },
  );

  state.itemText = new Map((p.items ?? []).map((i) => [i.key, i.text]));
  const items = [...(p.items ?? [])].sort((a, b) => (a.state === 'running' ? 0 : 1) - (b.state === 'running' ? 0 : 1));
  syncList($('#items'), items.slice(0, MAX_ITEM_ROWS), (i) => i.key, createItemRow, updateItemRow);
  $('#items-empty').hidden = items.length > 0;
  const more = items.length - MAX_ITEM_ROWS;
  $('#items-more').hidden = more <= 0;
  setText($('#items-more'), more > 0 ? `${formatInt(more)} more items (counted above)` : '');
}

const stateRank = (s) => (ITEM_STATE_ORDER.includes(s) ? ITEM_STATE_ORDER.indexOf(s) : ITEM_STATE_ORDER.length);

function createItemRow() {
  return h(
    'tr',
    {},
    h('td', { class: 'text' }, h('a', { target: '_blank', rel: 'noopener noreferrer' }), h('span')),
    h('td', {}, h('span', { class: 'badge' })),
    h('td', { class: 'phase' }),
    h('td', { class: 'num' }),
  );
}

function updateItemRow(tr, i) {
  const [text, st, phase, iter] = tr.children;
  const url = workflowUrl(itemWorkflowId(i.key));
  const [a, span] = text.children;
  setLink(a, url);
  // pipeline-status carries an excerpt of a long item (the whole text is at /api/agent/pipeline/items/{key})
  const shown = i.text_truncated ? `${i.text}\u2026` : i.text;
  setText(a, url ? shown : '');
  setText(span, url ? '' : shown);
  setAttr(text, 'title', i.text);
  setData(tr, 'state', i.state);
  setData(tr, 'phase', i.phase ?? '');
  setData(st.firstChild, 'state', i.state);
  setText(st.firstChild, i.state);
  setText(phase, i.state === 'running' ? (i.phase ?? '—') : '');
  setText(iter, i.iteration ? String(i.iteration) : '');
}

// ---- attention and issues ----------------------------------------------------------------------

function renderAttention(attention, issues) {
  const flags = attention?.flags ?? [];
  setText($('#attention-line'), flags.length ? flags.join(', ') : '—');
  syncList(
    $('#flags'),
    CONDITIONS,
    (c) => c,
    (c) => h('li', { class: 'chip flag', dataset: { flag: c } }, c.replace(/_/g, ' ')),
    (li, c) => {
      const on = !!attention?.[c];
      li.classList.toggle('on', on);
      setAttr(li, 'title', on ? `${c}: raised` : `${c}: clear`);
    },
  );
  const all = Array.isArray(issues) ? issues : [];
  const open = all
    .filter((i) => !i.resolved_at)
    .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const resolved = all
    .filter((i) => i.resolved_at)
    .sort((a, b) => String(b.resolved_at).localeCompare(String(a.resolved_at)))
    .slice(0, 10);
  syncList($('#issues'), open, (i) => i.id, createIssue, updateIssue);
  $('#issues-empty').hidden = open.length > 0;
  syncList($('#resolved'), resolved, (i) => i.id, createIssue, updateIssue);
  $('#resolved-box').hidden = resolved.length === 0;
  setText($('#resolved-count'), resolved.length);
}

function createIssue() {
  return h(
    'li',
    { class: 'issue' },
    h(
      'div',
      { class: 'issue-head' },
      h('span', { class: 'severity' }),
      h('b', { class: 'condition' }),
      h('span', { class: 'faint since' }),
    ),
    h('p', { class: 'message' }),
    h('p', { class: 'action' }, h('span', { class: 'label' }, 'Suggested action: '), h('span', { class: 'suggested' })),
    h('p', { class: 'heal faint' }),
    h('ul', { class: 'actions faint' }),
  );
}

function updateIssue(li, i) {
  setData(li, 'condition', i.condition);
  const sev = li.querySelector('.severity');
  setData(sev, 'severity', i.severity);
  setText(sev, i.severity);
  setText(li.querySelector('.condition'), i.condition);
  setText(
    li.querySelector('.since'),
    i.resolved_at ? `resolved ${formatAgo(i.resolved_at)}` : `since ${formatAgo(i.created_at)}`,
  );
  setText(li.querySelector('.message'), i.message);
  setText(li.querySelector('.suggested'), i.suggested_action);
  const heal = li.querySelector('.heal');
  const healId = typeof i.heal_task_id === 'string' && TASK_ID.test(i.heal_task_id) ? i.heal_task_id : null;
  if (heal.dataset.task !== (healId ?? '')) {
    heal.dataset.task = healId ?? '';
    heal.replaceChildren(...(healId ? ['Heal task: ', logLink(healId)] : []));
  }
  heal.hidden = !healId;
  const actions = (Array.isArray(i.actions) ? i.actions : []).slice(-3);
  syncList(
    li.querySelector('.actions'),
    actions,
    (a) => `${a.at}|${a.action}`,
    () => h('li'),
    (el, a) =>
      setText(
        el,
        `${formatTime(a.at)}: ${a.action}${a.task_id ? ` (${a.task_id})` : ''}${a.outcome ? ` → ${a.outcome}` : ''}`,
      ),
  );
}

// ---- running tasks with a live tail ------------------------------------------------------------

async function renderRunning(running) {
  const list = Array.isArray(running) ? running : [];
  setText($('#running-count'), list.length);
  $('#running-empty').hidden = list.length > 0;
  // pipeline-status carries the tail of the first running task; the next few read their log.
  const tails = await Promise.all(
    list.map((t, i) => {
      if (Array.isArray(t.live_tail)) return t.live_tail;
      if (i === 0 || i > EXTRA_TAILS || (t.running_seconds ?? 0) < 2) return null;
      return api(`/api/agent/tasks/${t.id}/log?tail_bytes=${TAIL_BYTES}`).then(
        (r) =>
          String(r.log ?? '')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .slice(-20),
        () => null,
      );
    }),
  );
  syncList(
    $('#running-list'),
    list.map((t, i) => ({ ...t, tail: tails[i] })),
    (t) => t.id,
    createRunning,
    updateRunning,
  );
}

function createRunning(t) {
  return h(
    'li',
    { class: 'task-card' },
    h(
      'div',
      { class: 'task-head' },
      logLink(t.id),
      h('span', { class: 'badge type' }),
      h('span', { class: 'model faint' }),
      h('span', { class: 'elapsed' }),
    ),
    h('p', { class: 'direction' }),
    h('pre', { class: 'tail', tabindex: '0', 'aria-label': 'live tail of the task log' }),
  );
}

function updateRunning(li, t) {
  setText(li.querySelector('.type'), t.task_type);
  setText(li.querySelector('.model'), t.model);
  setText(li.querySelector('.elapsed'), `running ${formatDuration(t.running_seconds)}`);
  setText(li.querySelector('.direction'), t.direction);
  const pre = li.querySelector('.tail');
  const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
  const text = Array.isArray(t.tail)
    ? t.tail.length
      ? t.tail.join('\n')
      : '(no output yet)'
    : pre.textContent || '(waiting for the log)';
  if (pre.textContent !== text) {
    pre.textContent = text;
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }
}

// ---- decisions ---------------------------------------------------------------------------------

async function refreshDecisions() {
  const { tasks, total } = await api('/api/agent/tasks?status=needs_decision&limit=100');
  setText($('#decisions-count'), total);
  setData($('#decisions'), 'count', total);
  $('#decisions-empty').hidden = tasks.length > 0;
  syncList($('#decision-list'), tasks, (t) => t.id, createDecision, updateDecision);
}

function createDecision(t) {
  const input = h('textarea', {
    name: 'decision',
    rows: '2',
    maxlength: '5000',
    required: true,
    placeholder: 'Your answer (goes into the next direction)',
    'aria-label': `decision for ${t.id}`,
  });
  const button = h('button', { type: 'submit' }, 'Send decision');
  const message = h('span', { class: 'msg', role: 'status' });
  const form = h('form', { class: 'decide', autocomplete: 'off' }, input, button, message);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void sendDecision(t.id, input, button, message);
  });
  return h(
    'li',
    { class: 'decision' },
    h(
      'div',
      { class: 'task-head' },
      logLink(t.id),
      h('span', { class: 'badge type' }),
      h('span', { class: 'item faint' }),
      h('span', { class: 'since faint' }),
    ),
    h('p', { class: 'prompt' }),
    form,
  );
}

function updateDecision(li, t) {
  setText(li.querySelector('.type'), t.task_type);
  const item = t.item_key ? (state.itemText.get(t.item_key) ?? t.item_key) : 'ad-hoc task';
  setText(li.querySelector('.item'), item);
  setText(li.querySelector('.since'), `waiting since ${formatAgo(t.finished_at ?? t.started_at ?? t.created_at)}`);
  setText(li.querySelector('.prompt'), t.decision_prompt ?? '(no question recorded)');
}

async function sendDecision(taskId, input, button, message) {
  const decision = input.value.trim();
  if (!decision) {
    setText(message, 'Type a decision first.');
    input.focus();
    return;
  }
  button.disabled = true;
  setText(message, 'Sending…');
  message.dataset.kind = '';
  try {
    await api(`/api/agent/tasks/${taskId}/decision`, { method: 'POST', body: { decision } });
    setText(message, 'Decision sent.');
    message.dataset.kind = 'ok';
    input.value = '';
    schedule(300);
  } catch (err) {
    message.dataset.kind = 'error';
    if (err instanceof ApiError && err.status === 401) {
      setText(message, 'The API needs the token for this: enter it above, then send again.');
      $('#token-input').focus();
    } else if (err instanceof ApiError && err.status === 409)
      setText(message, 'This task no longer waits for a decision.');
    else setText(message, err instanceof Error ? err.message : String(err));
  } finally {
    button.disabled = false;
  }
}

// ---- pause and resume --------------------------------------------------------------------------

async function sendControl(command) {
  const message = $('#control-message');
  const buttons = [$('#pipeline-pause'), $('#pipeline-resume')];
  for (const b of buttons) b.disabled = true;
  setText(message, 'Sending…');
  try {
    await api(`/api/agent/pipeline/${command}`, { method: 'POST' });
    setText(message, command === 'pause' ? 'Pause sent: running tasks finish, no new ones start.' : 'Resume sent.');
    schedule(300);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setText(message, 'The API needs the token for this: enter it above, then try again.');
      $('#token-input').focus();
    } else setText(message, err instanceof Error ? err.message : String(err));
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---- recent tasks (one page) -------------------------------------------------------------------

async function refreshTasks() {
  const seq = ++state.tasksSeq;
  const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(state.offset) });
  if (state.statusFilter) q.set('status', state.statusFilter);
  const { tasks, total } = await api(`/api/agent/tasks?${q}`);
  if (seq !== state.tasksSeq) return;
  if (tasks.length === 0 && total > 0 && state.offset >= total) {
    state.offset = Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE;
    return refreshTasks();
  }
  const now = Date.now();
  syncList(
    $('#task-rows'),
    tasks,
    (t) => t.id,
    createTaskRow,
    (tr, t) => updateTaskRow(tr, t, now),
  );
  setText(
    $('#page-info'),
    total
      ? `${formatInt(state.offset + 1)}–${formatInt(state.offset + tasks.length)} of ${formatInt(total)}`
      : 'no tasks yet',
  );
  $('#prev-page').disabled = state.offset === 0;
  $('#next-page').disabled = state.offset + PAGE_SIZE >= total;
}

function createTaskRow(t) {
  return h(
    'tr',
    {},
    h('td', {}, logLink(t.id)),
    h('td', { class: 'type' }),
    h('td', {}, h('span', { class: 'badge status' })),
    h('td', { class: 'text' }),
    h('td', { class: 'num' }),
    h('td', { class: 'model' }),
    h('td', { class: 'created' }),
    h('td', { class: 'num duration' }),
    h('td', { class: 'ui-col' }, h('a', { class: 'ext', target: '_blank', rel: 'noopener noreferrer' }, 'open ↗')),
  );
}

function updateTaskRow(tr, t, now) {
  const [, type, status, item, iter, model, created, duration, wf] = tr.children;
  setText(type, t.task_type);
  setData(tr, 'status', t.status);
  setData(status.firstChild, 'status', t.status);
  setText(status.firstChild, t.status);
  const text = t.item_key ? (state.itemText.get(t.item_key) ?? t.item_key) : 'ad-hoc';
  setText(item, text);
  setAttr(item, 'title', text);
  setText(iter, t.iteration ?? '');
  setText(model, t.model);
  setText(created, formatAgo(t.created_at, now));
  setAttr(created, 'title', formatTime(t.created_at));
  const start = Date.parse(t.started_at ?? '');
  const end = t.finished_at ? Date.parse(t.finished_at) : t.status === 'running' ? now : NaN;
  setText(duration, Number.isFinite(start) && Number.isFinite(end) ? formatDuration((end - start) / 1000) : '—');
  setLink(wf.firstChild, workflowUrl(taskWorkflowId(t)));
}

// ---- metrics charts ----------------------------------------------------------------------------

async function refreshMetrics() {
  try {
    const m = await api(`/api/agent/metrics/breakdown?window_days=${state.windowDays}`);
    $('#metrics-error').hidden = true;
    const key = JSON.stringify(m);
    if (key === state.metricsKey) return;
    state.metricsKey = key;
    state.metrics = m;
    drawCharts();
  } catch (err) {
    setText($('#metrics-error'), `Metrics unavailable: ${err.message}`);
    $('#metrics-error').hidden = false;
    throw err;
  }
}

function drawCharts() {
  const m = state.metrics;
  if (!m) return;
  drawSuccessRate($('#chart-success'), m.days);
  drawDurations($('#chart-by-type'), m.by_task_type, { label: 'Duration by task type', order: 'type' });
  drawDurations($('#chart-by-model'), m.by_model, { label: 'Duration by model' });
  drawUsage($('#usage'), m);
}

// ---- one task's log ----------------------------------------------------------------------------

function logFromHash() {
  const m = /^#log=(task_[0-9a-f]{16})$/.exec(location.hash);
  if (m) openLog(m[1]);
  else closeLog();
}

function openLog(taskId) {
  const dialog = $('#log-dialog');
  if (state.logTaskId !== taskId) {
    state.logTaskId = taskId;
    setText($('#log-title'), taskId);
    setText($('#log-meta'), '');
    setText($('#log-command'), '');
    setText($('#log-text'), 'loading…');
  }
  if (!dialog.open) dialog.showModal();
  void refreshLog().catch(() => undefined);
}

function closeLog() {
  state.logTaskId = null;
  state.logLive = false;
  const dialog = $('#log-dialog');
  if (dialog.open) dialog.close();
}

async function refreshLog() {
  const id = state.logTaskId;
  if (!id) return;
  let task;
  try {
    task = await api(`/api/agent/tasks/${id}`);
  } catch (err) {
    if (id === state.logTaskId)
      setText(
        $('#log-text'),
        err instanceof ApiError && err.status === 404 ? 'No such task.' : `Could not load the task: ${err.message}`,
      );
    throw err;
  }
  if (id !== state.logTaskId) return;
  state.logLive = task.status === 'running';
  setText(
    $('#log-meta'),
    `${task.task_type} · ${task.status}${task.exit_code !== null && task.exit_code !== undefined ? ` · exit ${task.exit_code}` : ''}`,
  );
  setText($('#log-command'), task.direction);
  if (!task.started_at) {
    setText(
      $('#log-text'),
      task.decision_prompt
        ? `No log: the task asked first.\n\n${task.decision_prompt}`
        : 'No log yet: the task has not started.',
    );
    return;
  }
  let log;
  try {
    log = await api(`/api/agent/tasks/${id}/log?tail_bytes=${LOG_DISPLAY_BYTES}`);
  } catch (err) {
    if (id === state.logTaskId)
      setText(
        $('#log-text'),
        err instanceof ApiError && err.status === 404
          ? 'The log file is gone (removed by cleanup?).'
          : `Could not load the log: ${err.message}`,
      );
    throw err;
  }
  if (id !== state.logTaskId) return;
  const text = String(log.log ?? '');
  const pre = $('#log-text');
  const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
  const skipped = Number(log.log_offset) || 0;
  const shown = skipped > 0 ? `… (${formatInt(skipped)} earlier bytes not shown)\n${text}` : text || '(empty log)';
  if (pre.textContent !== shown) {
    pre.textContent = shown;
    if (atBottom || state.logLive) pre.scrollTop = pre.scrollHeight;
  }
}

// ---- the polling loop --------------------------------------------------------------------------

async function loadConfig() {
  const c = await api('/api/dashboard/config');
  state.config = c;
  setText($('#project'), c.project_id);
  $('#task-table').classList.toggle('no-ui', !webUiBase());
  renderTokenStatus();
}

async function refreshStatus() {
  let s;
  try {
    s = await api('/api/agent/pipeline-status');
  } catch (err) {
    const badge = $('#pipeline-state');
    if (err instanceof ApiError && err.status === 503) {
      setData(badge, 'state', 'unknown');
      setText(badge, 'Temporal not reachable');
    }
    throw err;
  }
  renderPipeline(s.pipeline);
  renderAttention(s.attention, s.issues);
  await renderRunning(s.running);
}

async function tick() {
  if (state.inFlight) {
    state.again = true;
    return;
  }
  state.inFlight = true;
  clearTimeout(state.timer);
  const errors = [];
  try {
    if (!state.config) await loadConfig();
    const jobs = [refreshStatus(), refreshDecisions(), refreshTasks()];
    if (state.ticks % METRICS_EVERY_TICKS === 0 || !state.metricsKey) jobs.push(refreshMetrics());
    if (state.logTaskId && state.logLive) jobs.push(refreshLog());
    state.ticks++;
    for (const r of await Promise.allSettled(jobs)) if (r.status === 'rejected') errors.push(r.reason);
  } catch (err) {
    errors.push(err);
  } finally {
    reportConnection(errors);
    state.inFlight = false;
    const delay = state.again ? 0 : document.hidden ? HIDDEN_POLL_MS : POLL_MS;
    state.again = false;
    state.timer = setTimeout(() => void tick(), delay);
  }
}

/** Refreshes soon (after a user action) without waiting for the next poll. */
function schedule(ms = 0) {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => void tick(), ms);
}

function reportConnection(errors) {
  const conn = $('#conn');
  const banner = $('#banner');
  const first = (status) => errors.find((e) => e instanceof ApiError && e.status === status);
  const unauthorized = first(401);
  const down = first(0);
  const unavailable = first(503);
  const other = errors.find((e) => !(e instanceof ApiError) || ![0, 401, 503].includes(e.status));
  if (errors.length === 0) {
    state.lastUpdate = new Date();
    setData(conn, 'state', 'live');
    setText(conn, `live · updated ${state.lastUpdate.toLocaleTimeString()}`);
    banner.hidden = true;
    return;
  }
  let message;
  if (unauthorized) message = 'The API needs the token to read (PIPELINE_API_TOKEN): enter it above.';
  else if (down) message = 'The nightshift API does not answer; retrying…';
  else if (unavailable) message = `Temporal is not reachable: ${unavailable.message}`;
  else message = `Some data could not be loaded: ${other?.message ?? 'unknown error'}`;
  setData(conn, 'state', unauthorized ? 'auth' : 'error');
  setText(conn, state.lastUpdate ? `stale · last update ${state.lastUpdate.toLocaleTimeString()}` : 'no data');
  setText(banner, message);
  banner.hidden = false;
}

// ---- token -------------------------------------------------------------------------------------

function renderTokenStatus() {
  const has = token.get() !== '';
  const needed = !!state.config?.token_required_for_mutations;
  setText(
    $('#token-status'),
    has ? 'token set for this tab' : needed ? 'needed to send decisions' : 'not needed on this API',
  );
  setData($('#token-form'), 'has', has ? 'yes' : 'no');
}

function wireControls() {
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = $('#token-input');
    const value = input.value.trim();
    if (!value) return;
    token.set(value);
    input.value = '';
    renderTokenStatus();
    schedule(0);
  });
  $('#token-clear').addEventListener('click', () => {
    token.clear();
    renderTokenStatus();
  });
  $('#pipeline-pause').addEventListener('click', () => void sendControl('pause'));
  $('#pipeline-resume').addEventListener('click', () => void sendControl('resume'));
  $('#prev-page').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    void refreshTasks().catch(() => undefined);
  });
  $('#next-page').addEventListener('click', () => {
    state.offset += PAGE_SIZE;
    void refreshTasks().catch(() => undefined);
  });
  $('#status-filter').addEventListener('change', (e) => {
    state.statusFilter = e.target.value;
    state.offset = 0;
    void refreshTasks().catch(() => undefined);
  });
  $('#window-days').addEventListener('change', (e) => {
    state.windowDays = Number(e.target.value) || 7;
    state.metricsKey = '';
    void refreshMetrics().catch(() => undefined);
  });
  window.addEventListener('hashchange', logFromHash);
  $('#log-close').addEventListener('click', (e) => {
    e.preventDefault();
    history.replaceState(null, '', location.pathname + location.search);
    closeLog();
  });
  $('#log-dialog').addEventListener('close', () => {
    if (location.hash.startsWith('#log=')) history.replaceState(null, '', location.pathname + location.search);
    state.logTaskId = null;
    state.logLive = false;
  });
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawCharts, 150);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) schedule(0);
  });
}

wireControls();
renderTokenStatus();
logFromHash();
void tick();
