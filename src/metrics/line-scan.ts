import { parseAwareTimestamp, parseMetricLine } from './aggregate';
import { costUsd, tokenCount } from './usage';
import { hashBytes, NO_VALUE, type MetricColumns, type StringTable } from './columns';
import { readCanonicalLine } from './canonical-line';
import { timestampAt } from './timestamp-bytes';

/**
 * Turns metrics JSONL bytes into columns. JSON.parse per line alone would cost
 * most of the 1.5 s budget on 1M lines, so lines are read as bytes, in three
 * tiers, each strictly conservative about what it accepts:
 * 1. readCanonicalLine: the exact shape writers produce (canonical-line.ts);
 * 2. scanObject: any single flat object of ASCII strings without escapes, JSON
 *    numbers and true/false/null, in any key order, duplicates last-wins as
 *    JSON.parse (e.g. our own lines with item_key, iteration, exit_code and
 *    the token and cost figures);
 * 3. the reference `parseMetricLine` for everything else (escapes, non-ASCII,
 *    nesting, blank or invalid lines, odd timestamps).
 * So every line gives exactly what `parseMetricLine` gives for it.
 */

const enum Key {
  Other = 0,
  TaskType = 1,
  Model = 2,
  Duration = 3,
  Status = 4,
  CreatedAt = 5,
  TokensIn = 6,
  TokensOut = 7,
  Cost = 8,
}

const enum Kind {
  Absent = 0,
  String = 1,
  Number = 2,
  True = 3,
  False = 4,
  Null = 5,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const KEY_NAMES: [Key, Uint8Array][] = [
  [Key.TaskType, Buffer.from('task_type')],
  [Key.Model, Buffer.from('model')],
  [Key.Duration, Buffer.from('duration_seconds')],
  [Key.Status, Buffer.from('status')],
  [Key.CreatedAt, Buffer.from('created_at')],
  [Key.TokensIn, Buffer.from('tokens_in')],
  [Key.TokensOut, Buffer.from('tokens_out')],
  [Key.Cost, Buffer.from('cost_usd')],
];

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/** What the scan of one line found: per key, the kind of its (last) value and its byte range. */
const kinds = new Int32Array(9);
const starts = new Int32Array(9);
const ends = new Int32Array(9);

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** The known key names by length: a key is compared with at most the two names of its length. */
const KEYS_BY_LENGTH: [Key, Uint8Array][][] = [];
for (const entry of KEY_NAMES) (KEYS_BY_LENGTH[entry[1].length] ??= []).push(entry);

function keyOf(buf: Uint8Array, start: number, end: number): Key {
  const len = end - start;
  const candidates = KEYS_BY_LENGTH[len];
  if (candidates === undefined) return Key.Other;
  for (let k = 0; k < candidates.length; k++) {
    const name = candidates[k][1];
    let i = 0;
    while (i < len && buf[start + i] === name[i]) i++;
    if (i === len) return candidates[k][0];
  }
  return Key.Other;
}

/** Index after a JSON number starting at `p`, or -1 when it is not one. */
function scanNumber(buf: Uint8Array, p: number, end: number): number {
  if (buf[p] === 0x2d) p++;
  if (p >= end) return -1;
  if (buf[p] === 0x30) p++;
  else if (buf[p] >= 0x31 && buf[p] <= 0x39) while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) p++;
  else return -1;
  if (p < end && buf[p] === 0x2e) {
    const digits = ++p;
    while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) p++;
    if (p === digits) return -1;
  }
  if (p < end && (buf[p] === 0x65 || buf[p] === 0x45)) {
    p++;
    if (p < end && (buf[p] === 0x2b || buf[p] === 0x2d)) p++;
    const digits = p;
    while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) p++;
    if (p === digits) return -1;
  }
  return p;
}

function literalAt(buf: Uint8Array, p: number, end: number, word: string): boolean {
  if (p + word.length > end) return false;
  for (let i = 0; i < word.length; i++) if (buf[p + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** Scans `buf[start, end)` as one flat JSON object; false when the fast path does not apply. */
function scanObject(buf: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2 || buf[start] !== 0x7b || buf[end - 1] !== 0x7d) return false;
  kinds.fill(Kind.Absent);
  let p = start + 1;
  while (p < end && isWs(buf[p])) p++;
  if (buf[p] === 0x7d) return p + 1 === end;
  for (;;) {
    if (buf[p] !== QUOTE) return false;
    const keyStart = ++p;
    while (p < end && buf[p] !== QUOTE) {
      const c = buf[p];
      if (c < 0x20 || c === BACKSLASH || c >= 0x80) return false;
      p++;
    }
    if (p >= end) return false;
    const key = keyOf(buf, keyStart, p);
    p++;
    while (p < end && isWs(buf[p])) p++;
    if (buf[p] !== 0x3a) return false;
    p++;
    while (p < end && isWs(buf[p])) p++;
    if (p >= end) return false;
    const c = buf[p];
    let kind: Kind;
    let valueStart = p;
    let valueEnd: number;
    if (c === QUOTE) {
      valueStart = ++p;
      while (p < end && buf[p] !== QUOTE) {
        const d = buf[p];
        if (d < 0x20 || d === BACKSLASH || d >= 0x80) return false;
        p++;
      }
      if (p >= end) return false;
      valueEnd = p++;
      kind = Kind.String;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      valueEnd = p = scanNumber(buf, p, end);
      if (p < 0) return false;
      kind = Kind.Number;
    } else if (literalAt(buf, p, end, 'true')) {
      valueEnd = p += 4;
      kind = Kind.True;
    } else if (literalAt(buf, p, end, 'false')) {
      valueEnd = p += 5;
      kind = Kind.False;
    } else if (literalAt(buf, p, end, 'null')) {
      valueEnd = p += 4;
      kind = Kind.Null;
    } else return false;
    // duplicate keys: the last one wins, as with JSON.parse
    kinds[key] = kind;
    starts[key] = valueStart;
    ends[key] = valueEnd;
    while (p < end && isWs(buf[p])) p++;
    if (buf[p] === 0x2c) {
      p++;
      while (p < end && isWs(buf[p])) p++;
      continue;
    }
    return buf[p] === 0x7d && p + 1 === end;
  }
}

/** The value of a JSON number already validated by scanNumber (as JSON.parse would give it). */
function numberAt(buf: Uint8Array, start: number, end: number): number {
  let p = start;
  const negative = buf[p] === 0x2d;
  if (negative) p++;
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let inFraction = false;
  for (; p < end; p++) {
    const c = buf[p];
    if (c === 0x2e) inFraction = true;
    else if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      if (inFraction) fraction++;
    } else break; // an exponent: leave it to the general conversion
  }
  // Exact integer mantissa and power of ten: one correctly rounded division (Clinger's fast path).
  if (p === end && digits <= 15) {
    const v = mantissa / POW10[fraction];
    return negative ? -v : v;
  }
  return Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1'));
}

const latin1 = (buf: Uint8Array, start: number, end: number) =>
  Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');

const intern = (table: StringTable, buf: Uint8Array, key: Key) =>
  table.idOfAscii(buf, starts[key], ends[key], hashBytes(buf, starts[key], ends[key]));

/** Appends the record of one line found by the fast path; false when the reference would skip it. */
function pushScanned(cols: MetricColumns, buf: Uint8Array, dv: DataView): boolean {
  if (kinds[Key.CreatedAt] !== Kind.String) return false;
  let at = timestampAt(buf, dv, starts[Key.CreatedAt], ends[Key.CreatedAt]);
  if (at === undefined) at = parseAwareTimestamp(latin1(buf, starts[Key.CreatedAt], ends[Key.CreatedAt]));
  if (at === null) return false;
  const typeKind = kinds[Key.TaskType];
  const modelKind = kinds[Key.Model];
  if (
    (typeKind !== Kind.Absent && typeKind !== Kind.String) ||
    (modelKind !== Kind.Absent && modelKind !== Kind.String)
  )
    return false;
  const type = typeKind === Kind.String ? intern(cols.types, buf, Key.TaskType) : cols.types.id('unknown');
  const model = modelKind === Kind.String ? intern(cols.models, buf, Key.Model) : cols.models.id('unknown');
  const status = kinds[Key.Status] === Kind.String ? intern(cols.statuses, buf, Key.Status) : NO_VALUE;
  let duration = NO_VALUE;
  const durationKind = kinds[Key.Duration];
  if (durationKind === Kind.Number) {
    const v = numberAt(buf, starts[Key.Duration], ends[Key.Duration]);
    if (Number.isFinite(v)) duration = cols.durations.id(v);
  } else if (durationKind === Kind.True) duration = cols.durations.id(1);
  else if (durationKind === Kind.False) duration = cols.durations.id(0);
  cols.push(at, type, model, status, duration);
  if (kinds[Key.TokensIn] === Kind.Number || kinds[Key.TokensOut] === Kind.Number || kinds[Key.Cost] === Kind.Number) {
    cols.pushUsage(
      tokenCount(numberOf(buf, Key.TokensIn)),
      tokenCount(numberOf(buf, Key.TokensOut)),
      costUsd(numberOf(buf, Key.Cost)),
    );
  }
  return true;
}

/** The value of a key whose value is a JSON number; NaN for any other value or none. */
const numberOf = (buf: Uint8Array, key: Key): number =>
  kinds[key] === Kind.Number ? numberAt(buf, starts[key], ends[key]) : NaN;

/** Appends the record of one line through the reference parser; false when it is skipped, null when blank. */
function pushParsed(cols: MetricColumns, line: string): boolean | null {
  const r = parseMetricLine(line);
  if (r === undefined) return null;
  if (r === null) return false;
  const status = r.status === null ? NO_VALUE : cols.statuses.id(r.status);
  const duration = r.duration === null ? NO_VALUE : cols.durations.id(r.duration);
  cols.push(r.at, cols.types.id(r.taskType), cols.models.id(r.model), status, duration);
  cols.pushUsage(r.tokensIn, r.tokensOut, r.costUsd);
  return true;
}

/** Appends the records of the complete lines in `buf[start, end)`; returns how many lines were skipped as malformed. */
export function ingestLines(cols: MetricColumns, buf: Buffer, start: number, end: number): number {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let skipped = 0;
  let lineStart = start;
  while (lineStart < end) {
    const next = readCanonicalLine(cols, buf, dv, lineStart, end);
    if (next >= 0) {
      lineStart = next;
      continue;
    }
    let lineEnd = buf.indexOf(0x0a, lineStart);
    if (lineEnd < 0 || lineEnd >= end) lineEnd = end;
    if (scanObject(buf, lineStart, lineEnd)) {
      if (!pushScanned(cols, buf, dv)) skipped++;
    } else if (pushParsed(cols, buf.toString('utf8', lineStart, lineEnd)) === false) skipped++;
    lineStart = lineEnd + 1;
  }
  return skipped;
}
