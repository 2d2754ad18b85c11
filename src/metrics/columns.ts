/**
 * The records of the metrics store as columns of typed arrays: about 24 bytes a
 * record instead of an object each, and loops over them are plain integer work.
 * Strings (task type, model, status) and durations are ids into tables.
 */

/**
 * FNV-1a over the little-endian 32-bit words of a byte string, then its last
 * 0-3 bytes: the hash StringTable.idOfAscii expects (canonical-line.ts builds
 * the same value while it scans).
 */
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const fnvStep = (hash: number, chunk: number) => Math.imul(hash ^ chunk, 16777619);

export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let hash = FNV_OFFSET;
  let i = start;
  for (; i + 4 <= end; i += 4)
    hash = fnvStep(hash, buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
  for (; i < end; i++) hash = fnvStep(hash, buf[i]);
  return hash;
}

/**
 * Distinct strings, each with a small-int id. Byte ranges of ASCII lines are
 * looked up without decoding, in an open-addressing table of ids keyed by
 * their hash (every hit is confirmed byte for byte).
 */
export class StringTable {
  readonly values: string[] = [];
  /** UTF-8 bytes of each value, for comparing with raw lines. */
  private readonly bytes: Uint8Array[] = [];
  private readonly hashes: number[] = [];
  private readonly ids = new Map<string, number>();
  /** id + 1 per slot, 0 when empty. */
  private slots = new Int32Array(64);

  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      const bytes = new Uint8Array(Buffer.from(value, 'utf8'));
      this.values.push(value);
      this.bytes.push(bytes);
      this.hashes.push(hashBytes(bytes, 0, bytes.length));
      this.ids.set(value, id);
      if (this.values.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
      else this.place(id);
    }
    return id;
  }

  /** The id of the string spelled by `buf[start, end)`, which must be ASCII; `hash` is hashBytes of it. */
  idOfAscii(buf: Uint8Array, start: number, end: number, hash: number): number {
    const mask = this.slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = this.slots[i];
      if (slot === 0) break;
      if (this.hashes[slot - 1] === hash && sameBytes(this.bytes[slot - 1], buf, start, end)) return slot - 1;
    }
    return this.id(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1'));
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let i = this.hashes[id] & mask;
    while (this.slots[i] !== 0) i = (i + 1) & mask;
    this.slots[i] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.values.length; id++) this.place(id);
  }
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}

/**
 * Distinct duration values with an id each, and their ascending order on demand.
 * -0 and 0 are kept apart (the reference sorts -0 first and reports it as -0).
 */
export class DurationTable {
  values: Float64Array = new Float64Array(256);
  size = 0;
  private readonly ids = new Map<number, number>();
  /** The largest magnitude of any value (bounds the rounding error of sums). */
  maxAbs = 0;
  private negativeZero = -1;
  private sortedSize = 0;
  private order: Int32Array = new Int32Array(0);
  private ranks: Int32Array = new Int32Array(0);

  id(value: number): number {
    if (value === 0 && Object.is(value, -0)) {
      if (this.negativeZero < 0) this.negativeZero = this.add(value);
      return this.negativeZero;
    }
    const id = this.ids.get(value);
    if (id !== undefined) return id;
    const added = this.add(value);
    this.ids.set(value, added);
    return added;
  }

  private add(value: number): number {
    this.maxAbs = Math.max(this.maxAbs, Math.abs(value));
    if (this.size === this.values.length) this.values = grow(this.values, this.size * 2);
    this.values[this.size] = value;
    return this.size++;
  }

  /** Ids in ascending order of value (re-sorted only after new values arrived). */
  sorted(): Int32Array {
    this.sort();
    return this.order;
  }

  /** Position of each id in `sorted()`. */
  rankOf(): Int32Array {
    this.sort();
    return this.ranks;
  }

  /** Sorts only the values added since the last sort, then merges them in. */
  private sort(): void {
    if (this.sortedSize === this.size) return;
    const v = this.values;
    const before = (a: number, b: number) =>
      v[a] < v[b] || (v[a] === v[b] && Object.is(v[a], -0) && !Object.is(v[b], -0));
    const added = Array.from({ length: this.size - this.sortedSize }, (_, i) => this.sortedSize + i).sort((a, b) =>
      before(a, b) ? -1 : before(b, a) ? 1 : 0,
    );
    const old = this.order;
    const order = new Int32Array(this.size);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < old.length && j < added.length) order[k++] = before(added[j], old[i]) ? added[j++] : old[i++];
    while (i < old.length) order[k++] = old[i++];
    while (j < added.length) order[k++] = added[j++];
    this.order = order;
    this.ranks = new Int32Array(this.size);
    for (let r = 0; r < this.size; r++) this.ranks[order[r]] = r;
    this.sortedSize = this.size;
  }
}

function grow(a: Float64Array, capacity: number): Float64Array;
function grow(a: Int32Array, capacity: number): Int32Array;
function grow(a: Float64Array | Int32Array, capacity: number): Float64Array | Int32Array {
  const next = a instanceof Float64Array ? new Float64Array(capacity) : new Int32Array(capacity);
  next.set(a);
  return next;
}

export const NO_VALUE = -1;

/** The records, in file order. */
export class MetricColumns {
  length = 0;
  at: Float64Array = new Float64Array(1024);
  type: Int32Array = new Int32Array(1024);
  model: Int32Array = new Int32Array(1024);
  /** Status id, or NO_VALUE when the record's status is not a string. */
  status: Int32Array = new Int32Array(1024);
  /** Duration id, or NO_VALUE when the duration is not a number. */
  duration: Int32Array = new Int32Array(1024);
  /** True while `at` is non-decreasing, so a window starts at a binary-searchable index. */
  chronological = true;
  readonly types = new StringTable();
  readonly models = new StringTable();
  readonly statuses = new StringTable();
  readonly durations = new DurationTable();
  /** Duration ids by how a number was spelled (see canonical-line.ts). */
  readonly durationsBySpelling = new Map<number, number>();
  /**
   * Token and cost figures, only for the records that reported any (older lines and
   * the demo agent have none, so they cost nothing here): entry k belongs to record
   * `usageRecord[k]`, ascending; a figure not reported is NaN.
   */
  usageLength = 0;
  usageRecord: Int32Array = new Int32Array(64);
  tokensIn: Float64Array = new Float64Array(64);
  tokensOut: Float64Array = new Float64Array(64);
  costUsd: Float64Array = new Float64Array(64);

  push(at: number, type: number, model: number, status: number, duration: number): void {
    const n = this.length;
    if (n === this.at.length) {
      const capacity = n * 2;
      this.at = grow(this.at, capacity);
      this.type = grow(this.type, capacity);
      this.model = grow(this.model, capacity);
      this.status = grow(this.status, capacity);
      this.duration = grow(this.duration, capacity);
    }
    if (n > 0 && at < this.at[n - 1]) this.chronological = false;
    this.at[n] = at;
    this.type[n] = type;
    this.model[n] = model;
    this.status[n] = status;
    this.duration[n] = duration;
    this.length = n + 1;
  }

  /** The figures of the record pushed last, when at least one is a number (NaN: not reported). */
  pushUsage(tokensIn: number, tokensOut: number, costUsd: number): void {
    if (Number.isNaN(tokensIn) && Number.isNaN(tokensOut) && Number.isNaN(costUsd)) return;
    const k = this.usageLength;
    if (k === this.usageRecord.length) {
      const capacity = k * 2;
      this.usageRecord = grow(this.usageRecord, capacity);
      this.tokensIn = grow(this.tokensIn, capacity);
      this.tokensOut = grow(this.tokensOut, capacity);
      this.costUsd = grow(this.costUsd, capacity);
    }
    this.usageRecord[k] = this.length - 1;
    this.tokensIn[k] = tokensIn;
    this.tokensOut[k] = tokensOut;
    this.costUsd[k] = costUsd;
    this.usageLength = k + 1;
  }

  /** First usage entry whose record index is ≥ record. */
  usageFrom(record: number): number {
    let lo = 0;
    let hi = this.usageLength;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.usageRecord[mid] < record) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index whose `at` is ≥ cutoff (only meaningful while chronological). */
  lowerBound(cutoff: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at[mid] < cutoff) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
