/** The safetensors element types this package reads and writes. */
export const SAFETENSORS_DTYPES = ['F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL'] as const;

/** One safetensors element type name, as spelled in a file header. */
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The floating-point dtypes, which read as Float32Array and can be written from one. */
export type SafetensorsFloatDtype = 'F32' | 'F16' | 'BF16';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = {
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  U8: 1,
  BOOL: 1,
};

/** Returns true when `value` names a dtype this package supports. */
export function isSafetensorsDtype(value: unknown): value is SafetensorsDtype {
  return typeof value === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(value);
}

/** Returns true when `dtype` is one of the floating-point dtypes (F32, F16, BF16). */
export function isFloatDtype(dtype: SafetensorsDtype): dtype is SafetensorsFloatDtype {
  return dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/** Returns the size in bytes of one element of `dtype`. */
export function bytesPerElement(dtype: SafetensorsDtype): number {
  return BYTES_PER_ELEMENT[dtype];
}

/** Returns the number of elements of a tensor of `shape` (1 for a scalar), or NaN when it is not a safe integer. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return Number.isSafeInteger(count) ? count : Number.NaN;
}
