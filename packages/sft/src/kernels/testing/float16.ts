/** Rounding to IEEE half precision, to build references for kernels that take f16 inputs. */

/** Returns `value` rounded to the nearest float16 (round half to even; ±Inf past 65504). */
export function roundToFloat16(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.abs(value);
  if (magnitude >= 65520) return Math.sign(value) * Infinity;
  const exponent = Math.max(Math.floor(Math.log2(magnitude)), -14);
  const quantum = 2 ** (exponent - 10);
  const scaled = magnitude / quantum;
  let rounded = Math.round(scaled);
  if (rounded - scaled === 0.5 && rounded % 2 === 1) rounded -= 1;
  return Math.sign(value) * rounded * quantum;
}

/** Returns a copy of `values` with every element rounded to float16. */
export function roundArrayToFloat16(values: ArrayLike<number>): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = roundToFloat16(values[i]!);
  return out;
}
