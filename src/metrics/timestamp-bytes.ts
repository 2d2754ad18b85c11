/**
 * The common spelling of created_at read straight from bytes, with exactly the
 * result of parseAwareTimestamp (aggregate.ts) for it.
 */

/**
 * The last valid `YYYY-MM-DDTHH` seen (its first 13 bytes as words) and its epoch ms: lines come in time order, so it
 * mostly repeats.
 */
const hour = { w0: 0, w1: 0, w2: 0, b12: -1, ms: 0 };

/** The digit value of a byte, or a number above 9 when it is not a digit. */
const digit = (c: number) => (c - 0x30) >>> 0;

/** `DD` at p as a number, or -1 when it is not two digits. */
function two(buf: Uint8Array, p: number): number {
  const hi = digit(buf[p]);
  const lo = digit(buf[p + 1]);
  return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
}

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` in `buf[start, end)` to epoch ms,
 * exactly as parseAwareTimestamp; undefined for any other spelling (ask
 * parseAwareTimestamp itself), null when it is not a valid time. Null is also
 * returned as soon as a field at its fixed place is out of range: the
 * reference gives null then too, whatever follows.
 * A number means every byte was checked, so the bytes are also a plain JSON string body.
 */
export function timestampAt(buf: Uint8Array, dv: DataView, start: number, end: number): number | null | undefined {
  if (end - start < 20) return undefined;
  const p = start;
  const w0 = dv.getInt32(p, true);
  const w1 = dv.getInt32(p + 4, true);
  const w2 = dv.getInt32(p + 8, true);
  const b12 = buf[p + 12];
  let base: number;
  if (w0 === hour.w0 && w1 === hour.w1 && w2 === hour.w2 && b12 === hour.b12) base = hour.ms;
  else {
    const yHi = two(buf, p);
    const yLo = two(buf, p + 2);
    const mo = two(buf, p + 5);
    const d = two(buf, p + 8);
    const h = two(buf, p + 11);
    if (
      yHi < 0 ||
      yLo < 0 ||
      mo < 0 ||
      d < 0 ||
      h < 0 ||
      buf[p + 4] !== 0x2d ||
      buf[p + 7] !== 0x2d ||
      buf[p + 10] !== 0x54
    )
      return undefined;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23) return null;
    const day = Date.UTC(yHi * 100 + yLo, mo - 1, d); // years 0-99 map to 19xx, as in parseAwareTimestamp
    if (new Date(day).getUTCDate() !== d) return null; // e.g. 02-30
    base = day + h * 3_600_000;
    Object.assign(hour, { w0, w1, w2, b12, ms: base });
  }
  const mi = two(buf, p + 14);
  const s = two(buf, p + 17);
  if (mi < 0 || s < 0 || buf[p + 13] !== 0x3a || buf[p + 16] !== 0x3a) return undefined;
  if (mi > 59 || s > 59) return null;
  let q = p + 19;
  let ms = 0;
  if (buf[q] === 0x2e) {
    const fracStart = ++q;
    while (q < end && digit(buf[q]) <= 9) q++;
    const n = q - fracStart;
    if (n < 1 || n > 9) return undefined;
    for (let i = 0; i < 3; i++) ms = ms * 10 + (i < n ? buf[fracStart + i] - 0x30 : 0);
  }
  let offset: number;
  if (q + 1 === end && buf[q] === 0x5a) offset = 0;
  else if (q + 6 === end && (buf[q] === 0x2b || buf[q] === 0x2d) && buf[q + 3] === 0x3a) {
    const oh = two(buf, q + 1);
    const om = two(buf, q + 4);
    if (oh < 0 || om < 0) return undefined;
    offset = (oh * 3600 + om * 60) * 1000 * (buf[q] === 0x2b ? 1 : -1);
  } else return undefined;
  return base + (mi * 60 + s) * 1000 + ms - offset;
}
