/**
 * Shape legend: P parameter tensors of any shapes.
 * The fused AdamW step over all parameters: the global gradient norm, the clipping scale and the
 * finite check are computed on the device (grad-statistics.ts: one sum-of-squares dispatch per group
 * of gradients and one reduction on webgpu), then the parameters are updated by multi-tensor
 * dispatches (as many parameters per dispatch as the device binds) or by composed tfjs ops elsewhere.
 * A non-finite loss or norm leaves parameters and moments unchanged. No value is read back.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, InvalidOptionError, ShapeError } from '@steerlm/core';
import { defineFusedOp, getWebGPUBackend, runProgram, type FusedOp } from '../runtime';
import { adamwHost } from './adamw.host';
import { adamwScalars, resolveAdamWConfig, type AdamWConfig } from './adamw.reference';
import { adamwMultiProgram } from './adamw.wgsl';
import { gradStatistics } from './grad-statistics';
import type { LossScaler } from './loss-scale';

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
  /** The step's loss: when it (or the gradient norm) is not finite, the update leaves everything unchanged. */
  loss?: tf.Scalar;
  /**
   * Dynamic loss scaling (mixed precision): `grads` are multiplied by its scale; the step unscales
   * them, skips the update when they are not finite and updates the scaler's state (loss-scale.ts).
   */
  lossScaler?: LossScaler;
  /**
   * Per parameter: true also writes the updated parameter as a packed f16 working copy (result
   * `halfCopies`), in the same dispatch. WebGPU with shader-f16 only.
   */
  halfCopies?: readonly boolean[];
}

/** The outcome of adamwStep: new parameters, new state, and the (unclipped) global gradient norm. */
export interface AdamWStepResult {
  params: tf.Tensor[];
  state: AdamWState;
  gradNorm: tf.Scalar;
  /**
   * [gradient norm, clip scale, 1 when the update was made (0 when the loss or the norm was not
   * finite: parameters and moments are then unchanged), loss (0 when none was given)]; read it once
   * after the step to learn all four without a read-back in the middle of the step. With a loss
   * scaler, also [scale used, next scale, good steps] (see lossScaleReport).
   */
  statistics: tf.Tensor1D;
  /** Per parameter flagged in options.halfCopies: its f16 working copy after the step (else undefined). */
  halfCopies: Array<tf.Tensor | undefined>;
}

interface AdamWAttributes {
  beta1: number;
  beta2: number;
  epsilon: number;
  stepSize: number;
  sqrtBiasCorrection2: number;
  /** Per parameter of the group: 1 - lr·wd, or 1 where the parameter takes no weight decay. */
  decayFactors: number[];
  /** Per parameter of the group: write its f16 working copy too (1) or not (0). */
  halfCopies: number[];
}

/** Returns p', m', v' of one parameter with composed tfjs ops, unchanged where statistics[2] (finite) is 0. */
function composedUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  firstMoment: tf.Tensor,
  secondMoment: tf.Tensor,
  statistics: tf.Tensor,
  a: AdamWAttributes,
  decayFactor: number,
) {
  return tf.tidy(() => {
    const scale = tf.slice(statistics, [1], [1]);
    const apply = tf.notEqual(tf.slice(statistics, [2], [1]), 0);
    const g = tf.mul(grad, scale);
    const m = tf.add(tf.mul(a.beta1, firstMoment), tf.mul(1 - a.beta1, g));
    const v = tf.add(tf.mul(a.beta2, secondMoment), tf.mul(1 - a.beta2, tf.square(g)));
    const denominator = tf.add(tf.div(tf.sqrt(v), a.sqrtBiasCorrection2), a.epsilon);
    const p = tf.sub(tf.mul(param, decayFactor), tf.div(tf.mul(a.stepSize, m), denominator));
    return [tf.where(apply, p, param), tf.where(apply, m, firstMoment), tf.where(apply, v, secondMoment)];
  });
}

const groupOps = new Map<string, FusedOp<AdamWAttributes>>();

/**
 * Returns the multi-tensor AdamW op over `count` parameters, `halves` of them with f16 working
 * copies: inputs (param, grad, firstMoment, secondMoment) per parameter then statistics. One WGSL
 * dispatch on webgpu, whose outputs are the new parameters then the f16 copies (the moments are
 * updated in place); composed tfjs ops elsewhere, whose outputs are (param', firstMoment',
 * secondMoment') per parameter.
 */
function adamwGroupOp(count: number, halves = 0): FusedOp<AdamWAttributes> {
  const key = `${count}|${halves}`;
  let op = groupOps.get(key);
  if (op === undefined) {
    op = defineFusedOp<AdamWAttributes>({
      name: `SteerLMAdamW${count}${halves > 0 ? `Half${halves}` : ''}`,
      inputNames: [...Array.from({ length: count }, (_, t) => [`param${t}`, `grad${t}`, `firstMoment${t}`, `secondMoment${t}`]).flat(), 'statistics'],
      outputCount: count + halves,
      webgpu: (inputs, attributes, backend) => {
        const shapes = Array.from({ length: count }, (_, t) => inputs[4 * t]!.shape);
        const maxGroups = backend.device.limits.maxComputeWorkgroupsPerDimension;
        const program = adamwMultiProgram(
          shapes,
          attributes.decayFactors,
          attributes,
          attributes,
          maxGroups,
          attributes.halfCopies.map((flag) => flag === 1),
        );
        return runProgram(program, inputs, backend);
      },
      host: (inputs, attributes) => adamwHost(inputs, attributes),
      fallback: (inputs, attributes) => {
        if (halves > 0) {
          throw new BackendError('AdamW writes f16 working copies only with its WGSL kernel (webgpu with shader-f16)', {
            backend: tf.getBackend(),
            hint: 'train with precision "f32" on this backend (resolvePrecision chooses it)',
          });
        }
        const statistics = inputs[4 * count]!;
        return Array.from({ length: count }, (_, t) =>
          composedUpdate(inputs[4 * t]!, inputs[4 * t + 1]!, inputs[4 * t + 2]!, inputs[4 * t + 3]!, statistics, attributes, attributes.decayFactors[t]!),
        ).flat();
      },
    });
    groupOps.set(key, op);
  }
  return op;
}

/**
 * Returns how many parameters one AdamW dispatch updates on the active backend: as many as fit the
 * device's storage buffers per shader stage (5 each, 6 with f16 working copies, plus the
 * statistics), 8 on other backends.
 */
function adamwGroupSize(withHalfCopies = false): number {
  if (!adamwGroupOp(1).usesKernel()) return 8;
  return Math.max(1, Math.floor((getWebGPUBackend().device.limits.maxStorageBuffersPerShaderStage - 1) / (withHalfCopies ? 6 : 5)));
}

/**
 * Returns the parameter indices of each AdamW dispatch: consecutive runs of adamwGroupSize; with f16
 * working copies, the parameters with a copy (6 buffers each) and those without (5) in groups of
 * their own sizes, so the copies cost as few extra dispatches as possible.
 */
function adamwGroups(count: number, halfCopies: readonly boolean[]): number[][] {
  const indices = Array.from({ length: count }, (_, index) => index);
  const classes = halfCopies.some(Boolean)
    ? [
        { members: indices.filter((index) => halfCopies[index] === true), size: adamwGroupSize(true) },
        { members: indices.filter((index) => halfCopies[index] !== true), size: adamwGroupSize(false) },
      ]
    : [{ members: indices, size: adamwGroupSize(false) }];
  const groups: number[][] = [];
  for (const { members, size } of classes) {
    for (let start = 0; start < members.length; start += size) groups.push(members.slice(start, start + size));
  }
  return groups;
}

/** Returns zero first and second moments for `params`, at step 0. */
export function createAdamWState(params: readonly tf.Tensor[]): AdamWState {
  return { step: 0, firstMoments: params.map((p) => tf.zerosLike(p)), secondMoments: params.map((p) => tf.zerosLike(p)) };
}

/**
 * Returns the global L2 norm of `grads` as a scalar tensor (computed on the active backend: on
 * webgpu by the sum-of-squares and statistics kernels of gradStatistics).
 */
export function globalGradNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  const { gradNorm, statistics } = gradStatistics(grads, undefined, 0);
  statistics.dispose();
  return gradNorm;
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
 * Returns the parameters and state after one AdamW step (new tensors: dispose or reassign the
 * inputs). On webgpu the moments are updated in place (one buffer each for the optimizer's life):
 * the returned state holds new handles on the same buffers, and the state passed in then holds the
 * new values too — keep using the returned one. Clipping uses the global norm over all gradients (`options.gradNorm`
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
  if (options.halfCopies !== undefined && options.halfCopies.length !== params.length) {
    throw new InvalidOptionError(`AdamW halfCopies has ${options.halfCopies.length} entries for ${params.length} parameters`, { option: 'halfCopies' });
  }
  if (options.gradNorm !== undefined && options.lossScaler !== undefined) {
    throw new InvalidOptionError('AdamW takes either a precomputed gradNorm or a lossScaler, not both (the norm of scaled gradients is computed here)', {
      option: 'gradNorm',
    });
  }
  const resolved = resolveAdamWConfig(config);
  const step = state.step + 1;
  const scalars = adamwScalars(resolved, step);
  const { gradNorm, statistics, lossScaleState } =
    options.gradNorm === undefined
      ? gradStatistics(grads, options.loss, resolved.maxGradNorm, options.lossScaler)
      : statisticsFromNorm(options.gradNorm, options.loss, resolved.maxGradNorm);
  if (lossScaleState !== undefined) options.lossScaler!.replaceState(lossScaleState);
  const halfCopies = options.halfCopies ?? [];
  const out: AdamWStepResult = { params: [], state: { step, firstMoments: [], secondMoments: [] }, gradNorm, statistics, halfCopies: [] };
  for (const members of adamwGroups(params.length, halfCopies)) {
    const attributes: AdamWAttributes = {
      beta1: resolved.beta1,
      beta2: resolved.beta2,
      epsilon: resolved.epsilon,
      stepSize: scalars.stepSize,
      sqrtBiasCorrection2: scalars.sqrtBiasCorrection2,
      decayFactors: members.map((index) => (options.decay?.[index] === false ? 1 : scalars.decayFactor)),
      halfCopies: members.map((index) => (halfCopies[index] === true ? 1 : 0)),
    };
    const inputs = members.flatMap((index) => [params[index]!, grads[index]!, state.firstMoments[index]!, state.secondMoments[index]!]);
    const halves = attributes.halfCopies.reduce((sum, flag) => sum + flag, 0);
    const op = adamwGroupOp(members.length, halves);
    const inPlace = op.usesKernel();
    const outputs = op([...inputs, statistics], attributes);
    let nextHalf = members.length;
    members.forEach((index, offset) => {
      out.halfCopies[index] = attributes.halfCopies[offset] === 1 ? outputs[nextHalf++]! : undefined;
      if (inPlace) {
        // The kernel updated the moments in their own buffers: new handles on the same data, so the
        // caller may dispose the old state as usual.
        out.params[index] = outputs[offset]!;
        out.state.firstMoments[index] = tf.clone(state.firstMoments[index]!);
        out.state.secondMoments[index] = tf.clone(state.secondMoments[index]!);
      } else {
        out.params[index] = outputs[3 * offset]!;
        out.state.firstMoments[index] = outputs[3 * offset + 1]!;
        out.state.secondMoments[index] = outputs[3 * offset + 2]!;
      }
    });
  }
  return out;
}

/** Returns gradNorm (a clone of `norm`, so the caller keeps its own) and the statistics of a norm computed elsewhere. */
function statisticsFromNorm(
  norm: tf.Scalar,
  loss: tf.Scalar | undefined,
  maxGradNorm: number,
): { gradNorm: tf.Scalar; statistics: tf.Tensor1D; lossScaleState?: tf.Tensor1D } {
  return tf.tidy(() => {
    const lossValue = loss === undefined ? tf.scalar(0) : tf.reshape(loss, []);
    const finite = tf.logicalAnd(tf.isFinite(norm), tf.isFinite(lossValue));
    const clip = maxGradNorm > 0 ? tf.minimum(1, tf.div(maxGradNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
    const statistics = tf.stack([norm, tf.where(finite, clip, tf.scalar(0)), tf.cast(finite, 'float32'), lossValue]) as tf.Tensor1D;
    return { gradNorm: tf.clone(norm), statistics };
  });
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
): { state: AdamWState; gradNorm: tf.Scalar; statistics: tf.Tensor1D; halfCopies: Array<tf.Tensor | undefined> } {
  const result = adamwStep(variables, grads, state, config, options);
  variables.forEach((variable, index) => {
    variable.assign(result.params[index]!);
    result.params[index]!.dispose();
  });
  tf.dispose([...state.firstMoments, ...state.secondMoments]);
  return { state: result.state, gradNorm: result.gradNorm, statistics: result.statistics, halfCopies: result.halfCopies };
}

/** Returns true when the AdamW update runs its WGSL kernel on the active backend. */
export function adamwUsesKernel(): boolean {
  return adamwGroupOp(1).usesKernel();
}
