/**
 * The multi-tensor AdamW update on the host backends (cpu, wasm): one loop per parameter over its
 * value, gradient and moments, read and written in place in the backend's memory (host-compute.ts).
 * The composed fallback broadcasts the step's finite flag with tf.where, which tfjs-wasm runs as a
 * Tile of every parameter's size (three per parameter: a fifth of a tiny training step's CPU time);
 * here the flag is read once.
 */
import type * as tf from '@tensorflow/tfjs';
import { hostCompute } from '../host/host-compute';

/** The per-group scalars of the update (the AdamW op's attributes). */
export interface HostAdamWScalars {
  beta1: number;
  beta2: number;
  epsilon: number;
  stepSize: number;
  sqrtBiasCorrection2: number;
  decayFactors: readonly number[];
}

/**
 * Returns (param', firstMoment', secondMoment') per parameter for inputs (param, grad, firstMoment,
 * secondMoment) per parameter then statistics [norm, clip scale, finite, loss]: the gradient is scaled
 * by the clip scale, and everything is returned unchanged where finite is 0.
 */
export function adamwHost(inputs: readonly tf.Tensor[], scalars: HostAdamWScalars): tf.Tensor[] {
  const count = (inputs.length - 1) / 4;
  const statistics = inputs[4 * count]!;
  const outputShapes = Array.from({ length: count }, (_, t) => [inputs[4 * t]!.shape, inputs[4 * t]!.shape, inputs[4 * t]!.shape]).flat();
  return hostCompute([...inputs.slice(0, 4 * count), statistics], outputShapes, (values, outputs) => {
    const stats = values[4 * count]!;
    const scale = stats[1]!;
    const apply = stats[2] !== 0;
    for (let t = 0; t < count; t++) {
      const [param, grad, first, second] = [values[4 * t]!, values[4 * t + 1]!, values[4 * t + 2]!, values[4 * t + 3]!];
      const [nextParam, nextFirst, nextSecond] = [outputs[3 * t]!, outputs[3 * t + 1]!, outputs[3 * t + 2]!];
      if (!apply) {
        nextParam.set(param);
        nextFirst.set(first);
        nextSecond.set(second);
        continue;
      }
      adamwUpdate({ param, grad, first, second }, { param: nextParam, first: nextFirst, second: nextSecond }, scale, scalars, scalars.decayFactors[t]!);
    }
  });
}

/** The arrays of one AdamW update: a parameter's values and moments (and, as input, its gradient). */
export interface AdamWArrays {
  param: Float32Array;
  first: Float32Array;
  second: Float32Array;
}

/**
 * Writes the AdamW update of elements [start, end) of `input` (all of them by default) into `output`
 * (which may be `input` itself: every element is read before it is written), the gradient scaled by
 * `scale` (the clip scale) and the parameter by `decay` (1 - lr·wd, or 1 without weight decay).
 */
export function adamwUpdate(
  input: AdamWArrays & { grad: Float32Array },
  output: AdamWArrays,
  scale: number,
  scalars: Omit<HostAdamWScalars, 'decayFactors'>,
  decay: number,
  start = 0,
  end = input.param.length,
): void {
  // Every operation rounds to float32 as the composed update's tfjs ops do, so both paths give the
  // same weights (a run's trajectory at a high learning rate is sensitive to the last bit).
  const f = Math.fround;
  const [beta1, beta2] = [f(scalars.beta1), f(scalars.beta2)];
  const [keep1, keep2] = [f(1 - scalars.beta1), f(1 - scalars.beta2)];
  const [epsilon, stepSize, sqrtBiasCorrection2] = [f(scalars.epsilon), f(scalars.stepSize), f(scalars.sqrtBiasCorrection2)];
  const [gradScale, decayFactor] = [f(scale), f(decay)];
  const { param, grad, first, second } = input;
  const { param: nextParam, first: nextFirst, second: nextSecond } = output;
  for (let i = start; i < end; i++) {
    const g = f(grad[i]! * gradScale);
    const m = f(f(beta1 * first[i]!) + f(keep1 * g));
    const v = f(f(beta2 * second[i]!) + f(keep2 * f(g * g)));
    const denominator = f(f(f(Math.sqrt(v)) / sqrtBiasCorrection2) + epsilon);
    const next = f(param[i]! * decayFactor) - f(f(stepSize * m) / denominator);
    nextFirst[i] = m;
    nextSecond[i] = v;
    nextParam[i] = next;
  }
}
