/**
 * Charts drawn as inline SVG (no library). Labels are set with textContent:
 * model names and task types come from the metrics file.
 */
import { formatDuration } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Drawn at the container's own width (1 unit = 1 CSS pixel), so text keeps its size; redrawn on resize. */
const widthOf = (container) => Math.max(300, Math.round(container.clientWidth || 600));

function svgRoot(width, height, label) {
  return s('svg', {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': label,
    class: 'chart-svg',
  });
}

function empty(container, message) {
  container.replaceChildren(Object.assign(document.createElement('p'), { className: 'empty', textContent: message }));
}

/** A round upper bound in seconds for a duration axis split in quarters (1 min, 2 min, 5 min, 10 min, 1 h, …). */
const NICE_SECONDS = [4, 8, 20, 40, 60, 120, 240, 300, 600, 1200, 1800, 2400, 3600, 7200, 14400, 21600, 43200, 86400];
function niceMax(v) {
  if (!(v > 0)) return 4;
  return NICE_SECONDS.find((n) => n >= v) ?? Math.ceil(v / 86400) * 86400;
}

const rateClass = (rate) => (rate >= 0.8 ? 'good' : rate >= 0.5 ? 'warn' : 'bad');

/** Success rate per day: one bar per day of the window (0–100 %), greyed when the day had no tasks. */
export function drawSuccessRate(container, days) {
  if (!Array.isArray(days) || days.length === 0) return empty(container, 'No days in the window.');
  if (days.every((d) => !d.total)) return empty(container, 'No finished tasks in the window yet.');
  const width = widthOf(container);
  const height = 200;
  const left = 40;
  const right = 8;
  const top = 18;
  const bottom = 34;
  const plotH = height - top - bottom;
  const slot = (width - left - right) / days.length;
  const barW = Math.max(2, Math.min(40, slot * 0.7));
  const svg = svgRoot(width, height, 'Success rate per day');
  for (const pct of [0, 0.5, 0.8, 1]) {
    const y = top + plotH * (1 - pct);
    svg.append(
      s('line', { x1: left, x2: width - right, y1: y, y2: y, class: pct === 0.8 ? 'grid threshold' : 'grid' }),
    );
    svg.append(s('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, `${Math.round(pct * 100)}%`));
  }
  const labelEvery = Math.ceil(days.length / Math.max(2, Math.floor((width - left) / 56)));
  const showValues = slot >= 30;
  days.forEach((d, i) => {
    const cx = left + slot * i + slot / 2;
    const g = s('g', { class: 'day', 'data-date': d.date });
    const tip = d.total
      ? `${d.date}: ${d.completed} of ${d.total} completed, ${d.failed} failed (${Math.round(d.rate * 100)}%)`
      : `${d.date}: no finished tasks`;
    g.append(s('title', {}, tip));
    if (d.total) {
      const h = Math.max(1, plotH * Math.min(1, Math.max(0, d.rate)));
      g.append(
        s('rect', {
          x: cx - barW / 2,
          y: top + plotH - h,
          width: barW,
          height: h,
          rx: 2,
          class: `bar ${rateClass(d.rate)}`,
        }),
      );
      if (showValues)
        g.append(
          s(
            'text',
            { x: cx, y: top + plotH - h - 4, class: 'value', 'text-anchor': 'middle' },
            `${Math.round(d.rate * 100)}%`,
          ),
        );
    } else {
      g.append(s('rect', { x: cx - barW / 2, y: top + plotH - 2, width: barW, height: 2, class: 'bar none' }));
    }
    if (i % labelEvery === 0 || i === days.length - 1) {
      g.append(
        s('text', { x: cx, y: height - bottom + 14, class: 'axis', 'text-anchor': 'middle' }, String(d.date).slice(5)),
      );
      if (d.total)
        g.append(
          s('text', { x: cx, y: height - bottom + 27, class: 'axis faint', 'text-anchor': 'middle' }, `n=${d.total}`),
        );
    }
    svg.append(g);
  });
  container.replaceChildren(svg);
}

const TYPE_ORDER = ['spec', 'impl', 'test', 'review', 'heal'];

/** p50 and p95 duration per key (task type or model) as paired horizontal bars. */
export function drawDurations(container, byKey, { label, order = 'count', maxRows = 12 }) {
  const entries = Object.entries(byKey ?? {}).filter(([, v]) => v && v.count > 0);
  if (entries.length === 0) return empty(container, 'No finished tasks in the window yet.');
  if (order === 'type') entries.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  else entries.sort(([a, x], [b, y]) => y.count - x.count || a.localeCompare(b));
  const rows = entries.slice(0, maxRows);
  const width = widthOf(container);
  const left = Math.min(170, Math.round(width * 0.3));
  const right = 64;
  const top = 8;
  const rowH = 34;
  const barH = 12;
  const height = top + rows.length * rowH + 26;
  const max = niceMax(Math.max(...rows.map(([, v]) => Math.max(v.p95_seconds, v.p50_seconds))));
  const plotW = width - left - right;
  const x = (v) => left + (plotW * Math.max(0, v)) / max;
  const svg = svgRoot(width, height, label);
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const gx = left + plotW * f;
    svg.append(s('line', { x1: gx, x2: gx, y1: top, y2: height - 22, class: 'grid' }));
    svg.append(s('text', { x: gx, y: height - 8, class: 'axis', 'text-anchor': 'middle' }, formatDuration(max * f)));
  }
  rows.forEach(([key, v], i) => {
    const y = top + i * rowH + 4;
    const g = s('g', { class: 'row', 'data-key': key });
    g.append(
      s(
        'title',
        {},
        `${key}: ${v.count} tasks, p50 ${formatDuration(v.p50_seconds)}, p95 ${formatDuration(v.p95_seconds)}`,
      ),
    );
    g.append(
      s(
        'text',
        { x: left - 8, y: y + barH + 2, class: 'label', 'text-anchor': 'end' },
        fit(key, Math.floor((left - 12) / 6.5)),
      ),
    );
    g.append(s('text', { x: left - 8, y: y + barH + 14, class: 'axis faint', 'text-anchor': 'end' }, `n=${v.count}`));
    for (const [j, name] of [
      [0, 'p50'],
      [1, 'p95'],
    ]) {
      const value = v[`${name}_seconds`];
      const by = y + j * (barH + 2);
      g.append(
        s('rect', { x: left, y: by, width: Math.max(1, x(value) - left), height: barH, rx: 2, class: `bar ${name}` }),
      );
      g.append(s('text', { x: x(value) + 4, y: by + barH - 2, class: 'value' }, formatDuration(value)));
    }
    svg.append(g);
  });
  container.replaceChildren(svg);
  if (entries.length > rows.length)
    container.append(
      Object.assign(document.createElement('p'), {
        className: 'faint',
        textContent: `${entries.length - rows.length} more not shown`,
      }),
    );
}

const fit = (text, chars) => (text.length > chars ? `${text.slice(0, Math.max(1, chars - 1))}…` : text);

function rank(type) {
  const i = TYPE_ORDER.indexOf(type);
  return i < 0 ? TYPE_ORDER.length : i;
}
