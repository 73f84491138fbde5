import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float16BytesToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  float32ToFloat16Bytes,
} from './float-conversion';

describe('float32 → float16 (round to nearest even)', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [65504, 0x7bff],
    [65519, 0x7bff],
    [65520, 0x7c00],
    [1e10, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000],
    [1.5 * 2 ** -25, 0x0001],
    [2 ** -14, 0x0400],
    [1023 * 2 ** -24 + 2 ** -25, 0x0400],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [1 + 2 ** -11 + 2 ** -20, 0x3c01],
  ];
  for (const [value, bits] of cases) {
    it(`${value} → 0x${bits.toString(16)}`, () => expect(float32ToFloat16Bits(value)).toBe(bits));
  }
  it('keeps NaN a NaN', () => expect(Number.isNaN(float16BitsToFloat32(float32ToFloat16Bits(Number.NaN)))).toBe(true));
});

describe('float32 → bfloat16 (round to nearest even)', () => {
  const cases: [number, number][] = [
    [1, 0x3f80],
    [-0, 0x8000],
    [Math.PI, 0x4049],
    [0.1, 0x3dcd],
    [1 + 2 ** -8, 0x3f80],
    [1 + 3 * 2 ** -8, 0x3f82],
    [3.4028234663852886e38, 0x7f80],
    [Infinity, 0x7f80],
  ];
  for (const [value, bits] of cases) {
    it(`${value} → 0x${bits.toString(16)}`, () => expect(float32ToBfloat16Bits(value)).toBe(bits));
  }
  it('keeps NaN a quiet NaN', () => expect(float32ToBfloat16Bits(Number.NaN)).toBe(0x7fc0));
});

describe('16-bit → float32', () => {
  it('decodes every float16 pattern back to itself', () => {
    for (let bits = 0; bits < 65536; bits++) {
      const value = float16BitsToFloat32(bits);
      if (Number.isNaN(value)) expect((bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0).toBe(true);
      else expect(float32ToFloat16Bits(value)).toBe(bits);
    }
  });
  it('decodes bfloat16 exactly', () => {
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0xc040)).toBe(-3);
    expect(bfloat16BitsToFloat32(0x0001)).toBe(2 ** -133);
  });
  it('round-trips byte arrays, little-endian', () => {
    const bytes = float32ToFloat16Bytes(new Float32Array([1, -2, 0.5]));
    expect([...bytes]).toEqual([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]);
    expect([...float16BytesToFloat32(bytes)]).toEqual([1, -2, 0.5]);
  });
});
