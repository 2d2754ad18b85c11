/**
 * Tokens and cost per model and per task type, as the agent CLIs reported them
 * (fields usage_count, tokens_in, tokens_out, cost_usd of each breakdown group; a sum
 * is null when no task of the group reported it, shown as —).
 * Model names and task types come from the metrics file: text only.
 */
import { formatInt, h } from './dom.js';

/** $1.03; small amounts keep four decimals so a cheap task does not read as free. */
const formatUsd = (v) => (Number.isFinite(v) ? `$${v >= 1 || v === 0 ? v.toFixed(2) : v.toFixed(4)}` : '—');

function rows(kind, byKey) {
  const entries = Object.entries(byKey ?? {}).filter(([, v]) => v && v.usage_count > 0);
  const tokens = (v) => (v.tokens_in ?? 0) + (v.tokens_out ?? 0);
  entries.sort(
    ([a, x], [b, y]) => (y.cost_usd ?? 0) - (x.cost_usd ?? 0) || tokens(y) - tokens(x) || a.localeCompare(b),
  );
  return entries.map(([key, v]) =>
    h(
      'tr',
      { dataset: { kind, key } },
      h('td', { class: 'faint' }, kind),
      h('td', { title: key }, key),
      h(
        'td',
        { class: 'num', title: `${v.usage_count} of ${v.count} tasks reported figures` },
        `${formatInt(v.usage_count)} / ${formatInt(v.count)}`,
      ),
      h('td', { class: 'num tokens-in' }, formatInt(v.tokens_in)),
      h('td', { class: 'num tokens-out' }, formatInt(v.tokens_out)),
      h('td', { class: 'num cost' }, formatUsd(v.cost_usd)),
    ),
  );
}

/** The table of the breakdown's token and cost sums, or a note when no task in the window reported any. */
export function drawUsage(container, breakdown) {
  const body = [...rows('model', breakdown?.by_model), ...rows('task type', breakdown?.by_task_type)];
  if (body.length === 0) {
    container.replaceChildren(
      h('p', { class: 'empty' }, 'No task in the window reported tokens or cost (the demo agent reports none).'),
    );
    return;
  }
  container.replaceChildren(
    h(
      'table',
      { class: 'usage' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'by'),
          h('th', {}, 'name'),
          h('th', { class: 'num', title: 'tasks that reported figures / all tasks' }, 'reported / all'),
          h('th', { class: 'num' }, 'tokens in'),
          h('th', { class: 'num' }, 'tokens out'),
          h('th', { class: 'num' }, 'cost (USD)'),
        ),
      ),
      h('tbody', {}, body),
    ),
  );
}
