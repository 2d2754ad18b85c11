/**
 * Python's `round(x, ndigits)`: correctly rounded from the exact binary value
 * of the double, ties to even (round(0.125, 2) == 0.12, round(612.5) == 612).
 * JavaScript's toFixed breaks exact ties upwards, so ties are detected exactly.
 */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let exponent: number;
  if (exponentBits === 0) exponent = -1074;
  else {
    mantissa |= 1n << 52n;
    exponent = exponentBits - 1075;
  }
  if (exponent >= 0) return { digits: mantissa << BigInt(exponent), scale: 0 };
  // m * 2^e == m * 5^-e / 10^-e
  return { digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
}

export function pyRound(x: number, ndigits = 0): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (ndigits >= 0 && ndigits <= 15) {
    // Fast path: far from a tie, the float product decides the same way as the exact value
    // (|y| < 2^31 keeps its rounding error below 1e-6), and q / 10^n is then correctly rounded.
    const scale = 10 ** ndigits;
    const y = x * scale;
    if (Math.abs(y) < 2147483648) {
      const floor = Math.floor(y);
      const frac = y - floor;
      const q = frac < 0.5 ? floor : floor + 1;
      if (Math.abs(frac - 0.5) > 1e-6) return (q === 0 && x < 0 ? -0 : q) / scale;
    }
  }
  const { digits, scale } = exactDecimal(x);
  const sign = x < 0 ? -1 : 1;
  if (scale <= ndigits) return x;
  const divisor = 10n ** BigInt(scale - ndigits);
  let q = digits / divisor;
  const r = digits % divisor;
  const twice = r * 2n;
  if (twice > divisor || (twice === divisor && q % 2n === 1n)) q += 1n;
  return (sign * Number(q)) / 10 ** ndigits;
}
