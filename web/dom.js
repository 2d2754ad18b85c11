/**
 * Small DOM helpers. Text always goes in as text nodes or textContent, never as HTML:
 * backlog items, agent output, logs and issue texts are untrusted.
 */

/** Creates an element; string children become text nodes. `on<event>` props add listeners. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (selector, root = document) => root.querySelector(selector);

/** Sets textContent only when it changed (no layout work for unchanged text). */
export function setText(el, value) {
  const s = value === null || value === undefined ? '' : String(value);
  if (el.textContent !== s) el.textContent = s;
}

export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else if (el.getAttribute(name) !== String(value)) el.setAttribute(name, String(value));
}

export function setData(el, name, value) {
  const s = String(value ?? '');
  if (el.dataset[name] !== s) el.dataset[name] = s;
}

/** Replaces an element's children (for small parts that are rebuilt only when their data changed). */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Keeps `parent`'s children in step with `items`, reusing the element of each key:
 * new keys are created, gone keys removed, the rest updated in place and moved only when out of order.
 */
export function syncList(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const el of parent.children) if (el.dataset.key !== undefined) existing.set(el.dataset.key, el);
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    let el = existing.get(key);
    if (el) existing.delete(key);
    else {
      el = create(item);
      el.dataset.key = key;
    }
    update(el, item);
    const want = prev ? prev.nextElementSibling : parent.firstElementChild;
    if (want !== el) parent.insertBefore(el, want);
    prev = el;
  }
  for (const el of existing.values()) el.remove();
}

const plural = (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** 3725 → "1h 2m"; 42 → "42s". */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return m % 60 ? `${hrs}h ${m % 60}m` : `${hrs}h`;
  const days = plural(Math.floor(hrs / 24), 'day');
  return hrs % 24 ? `${days} ${hrs % 24}h` : days;
}

/** An ISO time as "5m ago" (the full time goes in a title). */
export function formatAgo(iso, now = Date.now()) {
  const t = Date.parse(iso ?? '');
  if (!Number.isFinite(t)) return '—';
  const s = Math.round((now - t) / 1000);
  return s < 5 ? 'just now' : `${formatDuration(s)} ago`;
}

export function formatTime(iso) {
  const t = Date.parse(iso ?? '');
  return Number.isFinite(t) ? new Date(t).toLocaleString() : '';
}

export const formatInt = (n) => (Number.isFinite(n) ? n.toLocaleString('en-US') : '—');
