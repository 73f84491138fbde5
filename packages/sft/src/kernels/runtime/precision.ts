/**
 * Mixed precision on the webgpu backend: which precision a run gets, packed f16 storage, and the
 * scope the training step runs its forward and backward passes in.
 *
 * - tfjs has no float16 dtype, so a tensor stored in f16 is a float32 tensor of
 *   halfStorageShape(logical shape) (two halves per slot) that our kernels bind as `array<f16>`
 *   (WgslProgram.halfBindings). Only our kernels read it; tfjs ops never see it.
 * - A MixedPrecisionScope, active while the step's forward and backward passes are recorded
 *   (withMixedPrecision), tells the kernels (1) which f16 working copy holds each f32 master weight
 *   (looked up by the weight's tfjs dataId), so the matmuls read weights in f16 and stage every
 *   operand in f16 with f32 accumulation; (2) the loss-scale buffer on the GPU, which the
 *   cross-entropy backward multiplies its gradient by (kernels/adamw/loss-scale.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';
import type { DeviceFeatures } from '../../backend';
import { fusedKernelsAreEnabled } from './fused-op';
import { webgpuFeatures } from './webgpu-context';

/** The precision of a training run: 'f32' everywhere, or 'mixed' (f16 storage and matmul operands, f32 master weights and accumulation). */
export type TrainingPrecision = 'f32' | 'mixed';

/** The precisions a run accepts, for option checks. */
export const TRAINING_PRECISIONS: readonly TrainingPrecision[] = ['f32', 'mixed'];

/** The precision a run asked for, the one it got, and why they differ. */
export interface PrecisionChoice {
  /** The precision the run asked for. */
  requested: TrainingPrecision;
  /** The precision the run trains in. */
  used: TrainingPrecision;
  /** Why 'mixed' fell back to 'f32' (absent when used === requested). */
  reason?: string;
}

/**
 * Returns the precision a run gets: 'mixed' needs our WGSL kernels on webgpu (`fusedWebGPU`) and a
 * device with shader-f16 (`features`, null off webgpu); otherwise it falls back to 'f32', saying why.
 */
export function resolvePrecision(requested: TrainingPrecision, fusedWebGPU: boolean, features: DeviceFeatures | null): PrecisionChoice {
  if (requested === 'f32') return { requested, used: 'f32' };
  if (!fusedWebGPU || features === null) {
    return { requested, used: 'f32', reason: 'mixed precision runs on the webgpu backend with its fused kernels; this backend trains in f32' };
  }
  if (!features.hasF16) return { requested, used: 'f32', reason: 'the WebGPU device lacks shader-f16; training in f32' };
  return { requested, used: 'mixed' };
}

/** Returns the precision a run gets on the active tfjs backend (see resolvePrecision); throws InvalidOptionError for an unknown one. */
export function resolveActivePrecision(requested: TrainingPrecision = 'f32'): PrecisionChoice {
  if (!TRAINING_PRECISIONS.includes(requested)) {
    throw new InvalidOptionError(`precision must be one of ${TRAINING_PRECISIONS.join(', ')}, got "${String(requested)}"`, {
      option: 'precision',
      hint: "use 'mixed' for f16 storage with f32 master weights on webgpu, 'f32' elsewhere",
    });
  }
  const webgpu = tf.getBackend() === 'webgpu';
  return resolvePrecision(requested, webgpu && fusedKernelsAreEnabled(), webgpu ? webgpuFeatures() : null);
}

/** Returns the float32 shape that stores `shape`'s elements as packed f16 (two per slot). */
export function halfStorageShape(shape: readonly number[]): number[] {
  const size = shape.reduce((product, dimension) => product * dimension, 1);
  return [Math.ceil(size / 2)];
}

/**
 * WGSL `toHalf(x: f32) -> f16`: x rounded to f16, or NaN when x is not finite or past the f16 range
 * (|x| ≥ 65520 rounds to infinity). WGSL leaves an out-of-range f32→f16 conversion undefined; this
 * keeps an overflow visible, so the step's non-finite check skips it (the loss scaler then backs off).
 * Needs `enable f16`.
 */
export const TO_HALF_WGSL = /* wgsl */ `
fn toHalf(x: f32) -> f16 {
  let bits = bitcast<u32>(x);
  if ((bits & 0x7fffffffu) < 0x477ff000u) { return f16(x); }
  // A NaN from runtime bits (a constant NaN is a WGSL compile error).
  return bitcast<vec2<f16>>(0x7e007e00u + min(bits, 0u)).x;
}`;

/** What the kernels learn from the step's mixed-precision scope. */
export interface MixedPrecisionScope {
  /** Returns the packed f16 working copy of the f32 tensor with this dataId, if it has one. */
  halfCopyOf(dataId: object): tf.TensorInfo | undefined;
  /** The loss-scale state on the GPU ([scale, …], float32), or null without loss scaling. */
  readonly lossScale: tf.Tensor | null;
}

let activeScope: MixedPrecisionScope | null = null;

/** Runs `body` with `scope` active (kernels called inside run in mixed precision) and returns its result. */
export function withMixedPrecision<T>(scope: MixedPrecisionScope, body: () => T): T {
  const previous = activeScope;
  activeScope = scope;
  try {
    return body();
  } finally {
    activeScope = previous;
  }
}

/** Returns the active mixed-precision scope, or null (f32). */
export function activeMixedPrecision(): MixedPrecisionScope | null {
  return activeScope;
}
