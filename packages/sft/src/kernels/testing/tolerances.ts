/** Comparison tolerances per storage/compute precision, for |a - e| <= atol + rtol * |e|. */

/** Absolute and relative tolerance. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Preset tolerances: f32 for float32 kernels, f16 for half-precision inputs with f32 accumulation. */
export const TOLERANCES = {
  f32: { atol: 1e-5, rtol: 1e-4 },
  f16: { atol: 2e-3, rtol: 1e-2 },
} as const satisfies Record<string, Tolerance>;

/** A precision name with a preset. */
export type PrecisionName = keyof typeof TOLERANCES;

/**
 * Returns the preset for `precision`, with atol scaled by `magnitude` (e.g. sqrt(K) for a
 * K-long dot product, whose rounding error grows with the reduction length).
 */
export function toleranceFor(precision: PrecisionName, magnitude = 1): Tolerance {
  const preset = TOLERANCES[precision];
  return { atol: preset.atol * magnitude, rtol: preset.rtol };
}
