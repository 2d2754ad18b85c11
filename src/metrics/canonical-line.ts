import { FNV_OFFSET, fnvStep, type MetricColumns } from './columns';
import { timestampAt } from './timestamp-bytes';

/**
 * The fastest tier of the line reader: the exact line shape writers produce,
 * `{"task_id": "…", "task_type": "…", "model": "…", "duration_seconds": N,
 * "status": "…", "created_at": "…"}` (Python's json.dumps spacing, or
 * JSON.stringify's without spaces), matched against fixed byte templates.
 * Anything else, down to one unexpected byte, is left to the general tiers.
 */

interface Segment {
  length: number;
  /** The bytes as little-endian int32 words (the last one padded), compared four at a time under `masks`. */
  words: Int32Array;
  masks: Int32Array;
}

function segment(text: string): Segment {
  const bytes = Buffer.from(text, 'latin1');
  const count = Math.ceil(bytes.length / 4);
  const words = new Int32Array(count);
  const masks = new Int32Array(count);
  for (let i = 0; i < bytes.length; i++) {
    words[i >> 2] |= bytes[i] << (8 * (i & 3));
    masks[i >> 2] |= 0xff << (8 * (i & 3));
  }
  return { length: bytes.length, words, masks };
}

interface Style {
  open: Segment;
  afterId: Segment;
  afterType: Segment;
  afterModel: Segment;
  afterDuration: Segment;
  afterStatus: Segment;
}

function style(colon: string, comma: string): Style {
  return {
    open: segment(`{"task_id"${colon}"`),
    afterId: segment(`"${comma}"task_type"${colon}"`),
    afterType: segment(`"${comma}"model"${colon}"`),
    afterModel: segment(`"${comma}"duration_seconds"${colon}`),
    afterDuration: segment(`${comma}"status"${colon}"`),
    afterStatus: segment(`"${comma}"created_at"${colon}"`),
  };
}

const SPACED = style(': ', ', ');
const COMPACT = style(':', ',');

/** Whether the segment is at p (reads whole words, so up to 3 bytes past it, still before `end`). */
function matches(dv: DataView, p: number, end: number, seg: Segment): boolean {
  const { words, masks } = seg;
  if (p + 4 * words.length > end) return false;
  for (let k = 0; k < words.length; k++) if ((dv.getInt32(p + 4 * k, true) & masks[k]) !== words[k]) return false;
  return true;
}

/**
 * True when none of the four bytes of `w` is a control byte, non-ASCII, '"' or
 * '\\' (exact word tests: "has a byte below n" and "has a zero byte").
 */
function plainWord(w: number): boolean {
  const quote = w ^ 0x22222222;
  const backslash = w ^ 0x5c5c5c5c;
  return (
    ((((w - 0x20202020) & ~w) | w | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) &
      0x80808080) ===
    0
  );
}

const plainByte = (c: number) => c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c;

/** Index of the closing quote of a string body starting at p, or -1 when it is not plain ASCII without escapes. */
function plainStringEnd(buf: Uint8Array, dv: DataView, p: number, end: number): number {
  while (p + 4 <= end && plainWord(dv.getInt32(p, true))) p += 4;
  for (; p < end; p++) {
    const c = buf[p];
    if (c === 0x22) return p;
    if (!plainByte(c)) return -1;
  }
  return -1;
}

/** Scratch result of stringEnd (no allocation per value). */
let hash = 0;

/** Like plainStringEnd, and leaves the string's hashBytes in `hash`. */
function stringEnd(buf: Uint8Array, dv: DataView, p: number, end: number): number {
  let h = FNV_OFFSET;
  for (let w = 0; p + 4 <= end && plainWord((w = dv.getInt32(p, true))); p += 4) h = fnvStep(h, w);
  for (; p < end; p++) {
    const c = buf[p];
    if (c === 0x22) {
      hash = h;
      return p;
    }
    if (!plainByte(c)) return -1;
    h = fnvStep(h, c);
  }
  return -1;
}

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Reads the canonical line starting at `start` (ranges end with '\n') and
 * appends its record; returns the start of the next line, or -1 when the line
 * is not canonical (nothing was appended then).
 */
export function readCanonicalLine(
  cols: MetricColumns,
  buf: Uint8Array,
  dv: DataView,
  start: number,
  end: number,
): number {
  const s = buf[start + 11] === 0x20 ? SPACED : COMPACT;
  let p = start;
  if (!matches(dv, p, end, s.open)) return -1;
  p = plainStringEnd(buf, dv, p + s.open.length, end);
  if (p < 0 || !matches(dv, p, end, s.afterId)) return -1;
  const typeStart = p + s.afterId.length;
  const typeEnd = stringEnd(buf, dv, typeStart, end);
  const typeHash = hash;
  if (typeEnd < 0 || !matches(dv, typeEnd, end, s.afterType)) return -1;
  const modelStart = typeEnd + s.afterType.length;
  const modelEnd = stringEnd(buf, dv, modelStart, end);
  const modelHash = hash;
  if (modelEnd < 0 || !matches(dv, modelEnd, end, s.afterModel)) return -1;
  // -?(0|[1-9][0-9]*)(.[0-9]+)? with at most 15 digits: exactly mantissa / 10^decimals
  p = modelEnd + s.afterModel.length;
  const negative = buf[p] === 0x2d;
  if (negative) p++;
  const first = p;
  let mantissa = 0;
  while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) mantissa = mantissa * 10 + buf[p++] - 0x30;
  const intDigits = p - first;
  if (intDigits === 0 || (intDigits > 1 && buf[first] === 0x30)) return -1;
  let decimals = 0;
  if (buf[p] === 0x2e) {
    const fracStart = ++p;
    while (p < end && buf[p] >= 0x30 && buf[p] <= 0x39) mantissa = mantissa * 10 + buf[p++] - 0x30;
    decimals = p - fracStart;
    if (decimals === 0) return -1;
  }
  if (intDigits + decimals > 15 || !matches(dv, p, end, s.afterDuration)) return -1;
  const statusStart = p + s.afterDuration.length;
  const statusEnd = stringEnd(buf, dv, statusStart, end);
  const statusHash = hash;
  if (statusEnd < 0 || !matches(dv, statusEnd, end, s.afterStatus)) return -1;
  // timestampAt checks every byte before the quote, and the first 19 are never a quote
  const atStart = statusEnd + s.afterStatus.length;
  let atEnd = atStart + 19;
  while (atEnd < end && buf[atEnd] !== 0x22) atEnd++;
  if (atEnd + 3 > end || buf[atEnd + 1] !== 0x7d || buf[atEnd + 2] !== 0x0a) return -1;
  const at = timestampAt(buf, dv, atStart, atEnd);
  if (at === null || at === undefined) return -1;

  // Exact integer mantissa and power of ten: one correctly rounded division, as JSON.parse gives.
  const value = negative ? -(mantissa / POW10[decimals]) : mantissa / POW10[decimals];
  let duration: number | undefined;
  if (mantissa < 2 ** 25) {
    // ids by spelling (mantissa, decimals, sign) in a small-integer key, so most lines skip hashing a double
    const key = (mantissa * 16 + decimals) * 2 + (negative ? 1 : 0);
    duration = cols.durationsBySpelling.get(key);
    if (duration === undefined) cols.durationsBySpelling.set(key, (duration = cols.durations.id(value)));
  } else duration = cols.durations.id(value);
  cols.push(
    at,
    cols.types.idOfAscii(buf, typeStart, typeEnd, typeHash),
    cols.models.idOfAscii(buf, modelStart, modelEnd, modelHash),
    cols.statuses.idOfAscii(buf, statusStart, statusEnd, statusHash),
    duration,
  );
  return atEnd + 3;
}
