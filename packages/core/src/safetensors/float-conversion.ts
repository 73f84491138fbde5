/**
 * Conversions between float32 and the 16-bit float formats (IEEE binary16 "F16" and bfloat16 "BF16"),
 * rounding to nearest, ties to even, as PyTorch and the safetensors reference implementation do.
 */

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** Returns the raw 32-bit pattern of a float32 value. */
export function float32Bits(value: number): number {
  scratchFloat[0] = value;
  return scratchBits[0]!;
}

/** Returns the binary16 bit pattern nearest to `value` (round to nearest even; overflow gives ±Infinity). */
export function float32ToFloat16Bits(value: number): number {
  const bits = float32Bits(value);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  const halfExponent = exponent - 112;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    let rounded = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (rounded & 1) === 1)) rounded += 1;
    return sign | rounded;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

/** Returns the bfloat16 bit pattern nearest to `value` (round to nearest even; NaN stays a quiet NaN). */
export function float32ToBfloat16Bits(value: number): number {
  const bits = float32Bits(value);
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) / 0x10000) & 0xffff;
}

let float16Table: Float32Array | undefined;

function buildFloat16Table(): Float32Array {
  const table = new Float32Array(65536);
  const tableBits = new Uint32Array(table.buffer);
  for (let half = 0; half < 65536; half++) {
    const sign = (half & 0x8000) << 16;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) {
      table[half] = (sign ? -1 : 1) * mantissa * 2 ** -24;
    } else if (exponent === 0x1f) {
      tableBits[half] = (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
    } else {
      tableBits[half] = (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0;
    }
  }
  return table;
}

/** Returns the float32 value of a binary16 bit pattern (exact: every F16 value is a float32 value). */
export function float16BitsToFloat32(bits: number): number {
  float16Table ??= buildFloat16Table();
  return float16Table[bits & 0xffff]!;
}

/** Returns the float32 value of a bfloat16 bit pattern (exact). */
export function bfloat16BitsToFloat32(bits: number): number {
  scratchBits[0] = (bits & 0xffff) << 16;
  return scratchFloat[0]!;
}

/** Returns a Float32Array holding the values of little-endian binary16 data. */
export function float16BytesToFloat32(bytes: Uint8Array): Float32Array {
  float16Table ??= buildFloat16Table();
  const table = float16Table;
  const count = bytes.byteLength >>> 1;
  const out = new Float32Array(count);
  for (let index = 0, byte = 0; index < count; index++, byte += 2) out[index] = table[bytes[byte]! | (bytes[byte + 1]! << 8)]!;
  return out;
}

/** Returns a Float32Array holding the values of little-endian bfloat16 data. */
export function bfloat16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const count = bytes.byteLength >>> 1;
  const out = new Float32Array(count);
  const outBits = new Uint32Array(out.buffer);
  for (let index = 0, byte = 0; index < count; index++, byte += 2) outBits[index] = ((bytes[byte]! | (bytes[byte + 1]! << 8)) << 16) >>> 0;
  return out;
}

/** Returns `values` encoded as little-endian binary16 bytes, rounded to nearest even. */
export function float32ToFloat16Bytes(values: Float32Array): Uint8Array {
  return halvesToBytes(values, float32ToFloat16Bits);
}

/** Returns `values` encoded as little-endian bfloat16 bytes, rounded to nearest even. */
export function float32ToBfloat16Bytes(values: Float32Array): Uint8Array {
  return halvesToBytes(values, float32ToBfloat16Bits);
}

/** Returns `values` as little-endian 16-bit words, each the `toBits` of one value. */
function halvesToBytes(values: Float32Array, toBits: (value: number) => number): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  for (let index = 0, byte = 0; index < values.length; index++, byte += 2) {
    const half = toBits(values[index]!);
    out[byte] = half & 0xff;
    out[byte + 1] = half >>> 8;
  }
  return out;
}
