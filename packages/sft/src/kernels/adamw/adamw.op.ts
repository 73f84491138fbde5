/**
 * Shape legend: P parameter tensors of any shapes.
 * The fused AdamW step over all parameters: the global gradient norm (and the clipping scale) is
 * computed on the device with tfjs reductions, then each parameter is updated by one fused
 * dispatch (WGSL on webgpu) or by composed tfjs ops elsewhere. No value is read back to the CPU.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { defineFusedOp, runProgram } from '../runtime';
import { adamwScalars, resolveAdamWConfig, type AdamWConfig } from './adamw.reference';
import { adamwProgram } from './adamw.wgsl';

/** Optimizer state: the number of steps taken and the two moments per parameter. */
export interface AdamWState {
  step: number;
  firstMoments: tf.Tensor[];
  secondMoments: tf.Tensor[];
}

/** Options of an AdamW step. */
export interface AdamWStepOptions {
  /** Per parameter: false exempts it from weight decay (biases, norm gains). Default: all decayed. */
  decay?: readonly boolean[];
  /** The global gradient norm when the caller computed it already (not disposed here); computed otherwise. */
  gradNorm?: tf.Scalar;
}

/** The outcome of adamwStep: new parameters, new state, and the (unclipped) global gradient norm. */
export interface AdamWStepResult {
  params: tf.Tensor[];
  state: AdamWState;
  gradNorm: tf.Scalar;
}

interface AdamWAttributes {
  beta1: number;
  beta2: number;
  epsilon: number;
  stepSize: number;
  sqrtBiasCorrection2: number;
  decayFactor: number;
}

const adamwUpdate = defineFusedOp<AdamWAttributes>({
  name: 'SteerLMAdamW',
  inputNames: ['param', 'grad', 'firstMoment', 'secondMoment', 'gradScale'],
  outputCount: 3,
  webgpu: (inputs, attributes, backend) => {
    const maxGroups = backend.device.limits.maxComputeWorkgroupsPerDimension;
    return runProgram(adamwProgram(inputs[0]!.shape, attributes, attributes, maxGroups), inputs, backend);
  },
  fallback: ([param, grad, firstMoment, secondMoment, gradScale], a) =>
    tf.tidy(() => {
      const g = tf.mul(grad!, gradScale!);
      const m = tf.add(tf.mul(a.beta1, firstMoment!), tf.mul(1 - a.beta1, g));
      const v = tf.add(tf.mul(a.beta2, secondMoment!), tf.mul(1 - a.beta2, tf.square(g)));
      const denominator = tf.add(tf.div(tf.sqrt(v), a.sqrtBiasCorrection2), a.epsilon);
      const p = tf.sub(tf.mul(param!, a.decayFactor), tf.div(tf.mul(a.stepSize, m), denominator));
      return [p, m, v];
    }),
});

/** Returns zero first and second moments for `params`, at step 0. */
export function createAdamWState(params: readonly tf.Tensor[]): AdamWState {
  return { step: 0, firstMoments: params.map((p) => tf.zerosLike(p)), secondMoments: params.map((p) => tf.zerosLike(p)) };
}

/**
 * Returns the global L2 norm of `grads` as a scalar tensor (computed on the active backend). The
 * per-tensor sums of squares are stacked and summed: tfjs splits a stack (concat) of many inputs to
 * fit the device's storage-buffer limit, while its AddN binds every input at once and breaks the
 * limit (16 on lavapipe) past 15 tensors.
 */
export function globalGradNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    const squares = grads.map((grad) => tf.sum(tf.square(grad)));
    return tf.sqrt(squares.length === 1 ? squares[0]! : tf.sum(tf.stack(squares))) as tf.Scalar;
  });
}

function validate(params: readonly tf.Tensor[], grads: readonly tf.Tensor[], state: AdamWState, decay: readonly boolean[] | undefined): void {
  const counts = [grads.length, state.firstMoments.length, state.secondMoments.length];
  if (counts.some((count) => count !== params.length)) {
    throw new ShapeError(
      `AdamW got ${params.length} parameters but ${grads.length} gradients, ${state.firstMoments.length} first and ${state.secondMoments.length} second moments`,
    );
  }
  if (decay !== undefined && decay.length !== params.length) {
    throw new InvalidOptionError(`AdamW decay has ${decay.length} entries for ${params.length} parameters`, { option: 'decay' });
  }
  params.forEach((param, index) => {
    for (const [what, other] of [
      ['gradient', grads[index]!],
      ['first moment', state.firstMoments[index]!],
      ['second moment', state.secondMoments[index]!],
    ] as const) {
      if (!tf.util.arraysEqual(param.shape, other.shape)) {
        throw new ShapeError(`AdamW parameter ${index} has shape [${param.shape.join(', ')}] but its ${what} has [${other.shape.join(', ')}]`, {
          field: `params[${index}]`,
        });
      }
    }
  });
}

/**
 * Returns the parameters and state after one AdamW step (new tensors; the inputs are left alone,
 * so dispose or reassign them). Clipping uses the global norm over all gradients (`options.gradNorm`
 * when given: then the result's gradNorm is that same tensor, owned by the caller).
 */
export function adamwStep(
  params: readonly tf.Tensor[],
  grads: readonly tf.Tensor[],
  state: AdamWState,
  config: AdamWConfig,
  options: AdamWStepOptions = {},
): AdamWStepResult {
  validate(params, grads, state, options.decay);
  const resolved = resolveAdamWConfig(config);
  const step = state.step + 1;
  const scalars = adamwScalars(resolved, step);
  const gradNorm = options.gradNorm ?? globalGradNorm(grads);
  const gradScale = tf.tidy(() =>
    resolved.maxGradNorm > 0 ? tf.reshape(tf.minimum(1, tf.div(resolved.maxGradNorm, tf.add(gradNorm, 1e-6))), [1]) : tf.ones([1]),
  );
  const out: AdamWStepResult = { params: [], state: { step, firstMoments: [], secondMoments: [] }, gradNorm };
  params.forEach((param, index) => {
    const decayFactor = options.decay?.[index] === false ? 1 : scalars.decayFactor;
    const attributes: AdamWAttributes = { beta1: resolved.beta1, beta2: resolved.beta2, epsilon: resolved.epsilon, ...scalars, decayFactor };
    const [p, m, v] = adamwUpdate([param, grads[index]!, state.firstMoments[index]!, state.secondMoments[index]!, gradScale], attributes);
    out.params.push(p!);
    out.state.firstMoments.push(m!);
    out.state.secondMoments.push(v!);
  });
  gradScale.dispose();
  return out;
}

/**
 * Returns the new state and gradient norm after updating `variables` in place with one AdamW step;
 * the previous moments are disposed.
 */
export function applyAdamW(
  variables: readonly tf.Variable[],
  grads: readonly tf.Tensor[],
  state: AdamWState,
  config: AdamWConfig,
  options: AdamWStepOptions = {},
): { state: AdamWState; gradNorm: tf.Scalar } {
  const result = adamwStep(variables, grads, state, config, options);
  variables.forEach((variable, index) => {
    variable.assign(result.params[index]!);
    result.params[index]!.dispose();
  });
  tf.dispose([...state.firstMoments, ...state.secondMoments]);
  return { state: result.state, gradNorm: result.gradNorm };
}

/** Returns true when the AdamW update runs its WGSL kernel on the active backend. */
export function adamwUsesKernel(): boolean {
  return adamwUpdate.usesKernel();
}
