/** Central finite differences, to check hand-written backward passes of reference functions. */
import { expectClose, type CloseOptions } from './expect-close';

/** A scalar-valued function of several arrays (e.g. a reference forward contracted with a cotangent). */
export type ScalarFunction = (inputs: Float32Array[]) => number;

/** Returns d f / d inputs by central differences (f(x + h) - f(x - h)) / 2h, one element at a time. */
export function numericalGradient(f: ScalarFunction, inputs: readonly Float32Array[], epsilon = 1e-2): Float32Array[] {
  const working = inputs.map((input) => Float32Array.from(input));
  return working.map((input) => {
    const gradient = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const original = input[i]!;
      input[i] = original + epsilon;
      const up = f(working);
      input[i] = original - epsilon;
      const down = f(working);
      input[i] = original;
      // Divide by the step actually stored in float32, not the nominal one.
      gradient[i] = (up - down) / (Math.fround(original + epsilon) - Math.fround(original - epsilon));
    }
    return gradient;
  });
}

/** Returns sum_i output[i] * weights[i], to turn a vector function into a scalar for gradient checks. */
export function contract(output: ArrayLike<number>, weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < output.length; i++) total += output[i]! * weights[i]!;
  return total;
}

/** Returns nothing; throws (via expectClose) when `analytic` differs from the finite-difference gradient of f. */
export function checkGradient(
  f: ScalarFunction,
  analytic: readonly ArrayLike<number>[],
  inputs: readonly Float32Array[],
  options: CloseOptions & { epsilon?: number } = {},
): void {
  const numeric = numericalGradient(f, inputs, options.epsilon ?? 1e-2);
  numeric.forEach((expected, index) => {
    expectClose(analytic[index]!, expected, {
      atol: options.atol ?? 1e-3,
      rtol: options.rtol ?? 1e-2,
      label: `${options.label ?? 'gradient'} of input ${index}`,
    });
  });
}
