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

/** Returns the number a float16 bit pattern stands for. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Returns the first `size` values of packed f16 storage (a float32 tensor's values, two halves per slot). */
export function unpackHalves(packed: Float32Array, size: number): Float32Array {
  const bits = new Uint16Array(packed.buffer, packed.byteOffset, packed.length * 2);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = float16BitsToNumber(bits[i]!);
  return out;
}
