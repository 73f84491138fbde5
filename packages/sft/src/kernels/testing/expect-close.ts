/** Element-wise closeness checks with the rule |a - e| <= atol + rtol * |e| and helpful failure messages. */
import { expect } from 'vitest';
import { TOLERANCES, type Tolerance } from './tolerances';

/** Options for expectClose: tolerances (default f32 preset) and a label for the message. */
export interface CloseOptions extends Partial<Tolerance> {
  label?: string;
}

/** Where two arrays differ most, relative to the allowed tolerance. */
export interface ClosenessReport {
  ok: boolean;
  /** Number of elements out of tolerance (NaN/Inf mismatches included). */
  failures: number;
  worstIndex: number;
  worstActual: number;
  worstExpected: number;
  /** Largest |a - e| over all elements. */
  maxAbsoluteError: number;
}

function shapeIndex(index: number, shape: readonly number[] | undefined): string {
  if (shape === undefined || shape.length === 0) return `[${index}]`;
  const coordinates: number[] = [];
  let rest = index;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    coordinates.unshift(rest % shape[axis]!);
    rest = Math.floor(rest / shape[axis]!);
  }
  return `[${coordinates.join(', ')}]`;
}

/** Returns how `actual` compares with `expected` under `tolerance`. */
export function compareClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: Tolerance): ClosenessReport {
  let failures = 0;
  let worstIndex = -1;
  let worstExcess = -Infinity;
  let maxAbsoluteError = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    let excess: number;
    if (Number.isNaN(e) || Number.isNaN(a) || !Number.isFinite(e) || !Number.isFinite(a)) {
      excess = Object.is(a, e) || a === e ? -Infinity : Infinity;
    } else {
      const error = Math.abs(a - e);
      maxAbsoluteError = Math.max(maxAbsoluteError, error);
      excess = error - (tolerance.atol + tolerance.rtol * Math.abs(e));
    }
    if (excess > 0) failures++;
    if (excess > worstExcess) {
      worstExcess = excess;
      worstIndex = i;
    }
  }
  return {
    ok: failures === 0,
    failures,
    worstIndex,
    worstActual: worstIndex >= 0 ? actual[worstIndex]! : NaN,
    worstExpected: worstIndex >= 0 ? expected[worstIndex]! : NaN,
    maxAbsoluteError,
  };
}

/**
 * Returns nothing; fails the test (an expect assertion) naming the worst element (index, actual, expected, allowed
 * error) when any |a - e| > atol + rtol * |e|, or when the lengths differ.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, options: CloseOptions & { shape?: readonly number[] } = {}): void {
  const tolerance: Tolerance = { atol: options.atol ?? TOLERANCES.f32.atol, rtol: options.rtol ?? TOLERANCES.f32.rtol };
  const label = options.label !== undefined ? `${options.label}: ` : '';
  if (actual.length !== expected.length) {
    throw new Error(`${label}length ${actual.length} differs from the expected length ${expected.length}`);
  }
  const report = compareClose(actual, expected, tolerance);
  const allowed = tolerance.atol + tolerance.rtol * Math.abs(report.worstExpected);
  // An expect() call, so that a test whose only check is expectClose counts as asserting (requireAssertions).
  expect(
    report.ok,
    `${label}${report.failures} of ${expected.length} elements out of tolerance (atol ${tolerance.atol}, rtol ${tolerance.rtol}); ` +
      `worst at ${shapeIndex(report.worstIndex, options.shape)} (flat ${report.worstIndex}): actual ${report.worstActual}, expected ${report.worstExpected}, ` +
      `|diff| ${Math.abs(report.worstActual - report.worstExpected)} > allowed ${allowed}; max |diff| ${report.maxAbsoluteError}`,
  ).toBe(true);
}
