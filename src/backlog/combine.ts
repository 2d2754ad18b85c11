/**
 * Combined run order (contract section 4): with n = max(1, floor(1/ratio)),
 * product items come first and every n-th slot is a meta item
 * (0.2: product ×4, meta, product ×4, meta, …). When either list runs out the
 * other continues. A ratio of 0 (or less) disables meta items.
 */
export function metaEvery(ratio: number): number | null {
  if (!(ratio > 0) || !Number.isFinite(ratio)) return null;
  return Math.max(1, Math.floor(1 / ratio));
}

export function combineBacklogs<T>(product: T[], meta: T[], ratio: number): T[] {
  const n = metaEvery(ratio);
  if (n === null) return [...product];
  const out: T[] = [];
  let p = 0;
  let m = 0;
  while (p < product.length || m < meta.length) {
    const metaSlot = (out.length + 1) % n === 0;
    if ((metaSlot && m < meta.length) || p >= product.length) out.push(meta[m++]);
    else out.push(product[p++]);
  }
  return out;
}
