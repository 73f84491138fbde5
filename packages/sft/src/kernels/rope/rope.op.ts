// Shape legend: B batch, H heads, T time steps, D head dimension (even); pairs (i, i + D/2) rotate together
// (Llama/HF rotate_half convention).
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { defineFusedOp, runProgram, runProgramOnTensors } from '../runtime';
import { ropeComposed } from './rope.composed';
import { ropeHost } from './rope.host';
import { ropeInverseFrequencies, type Llama3RopeScaling } from './rope-frequencies';
import { ropeProgram } from './rope.wgsl';

function dimensionsOf(shape: readonly number[]): { batch: number; heads: number; time: number; headDimension: number } {
  const [batch, heads, time, headDimension] = shape as [number, number, number, number];
  return { batch, heads, time, headDimension };
}

const ropeKernel = defineFusedOp<Record<string, never>>({
  name: 'SteerLMRope',
  inputNames: ['x', 'positions', 'inverseFrequencies'],
  webgpu: ([x, positions, inverseFrequencies], _attributes, backend) =>
    runProgram(ropeProgram(dimensionsOf(x!.shape), 1), [x!, positions!, inverseFrequencies!], backend),
  host: ([x, positions, inverseFrequencies]) => [ropeHost(x as tf.Tensor4D, positions as tf.Tensor2D, inverseFrequencies as tf.Tensor1D)],
  fallback: ([x, positions, inverseFrequencies]) => [ropeComposed(x as tf.Tensor4D, positions as tf.Tensor2D, inverseFrequencies as tf.Tensor1D)],
  gradient: ([dy], { inputs: [x, positions, inverseFrequencies] }) => {
    const [dx] = runProgramOnTensors(ropeProgram(dimensionsOf(x!.shape), -1), [dy!, positions!, inverseFrequencies!]);
    return [dx!, tf.zeros(positions!.shape), tf.zeros(inverseFrequencies!.shape)];
  },
});

/** Options of rope. */
export interface RopeOptions {
  /** The rotary base (HF `rope_theta`): 10000 for Llama 2, 500000 for Llama 3. */
  theta: number;
  /** Position of the first time step when `positions` is not given (e.g. the KV-cache length); default 0. */
  positionOffset?: number;
  /** Explicit int32 positions [B, T] (e.g. for left padding or packed sequences); overrides positionOffset. */
  positions?: tf.Tensor;
  /** Llama-3 frequency scaling (HF `rope_scaling` with rope_type "llama3"). */
  scaling?: Llama3RopeScaling;
}

function positionsFor(x: tf.Tensor, options: RopeOptions): tf.Tensor2D {
  const [batch, , time] = x.shape as [number, number, number];
  if (options.positions !== undefined) {
    const positions = options.positions;
    if (positions.dtype !== 'int32' || positions.rank !== 2 || positions.shape[0] !== batch || positions.shape[1] !== time) {
      throw new ShapeError(`rope: positions must be int32 [${batch}, ${time}] ([B, T] of x), got ${positions.dtype} [${positions.shape.join(', ')}]`, {
        field: 'positions',
      });
    }
    return positions as tf.Tensor2D;
  }
  const offset = options.positionOffset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidOptionError(`rope: positionOffset must be an integer >= 0, got ${offset}`, { option: 'positionOffset' });
  }
  const values = new Int32Array(batch * time);
  for (let b = 0; b < batch; b++) for (let t = 0; t < time; t++) values[b * time + t] = offset + t;
  return tf.tensor2d(values, [batch, time], 'int32');
}

/**
 * Returns the rotary position embedding of x [B, H, T, D] (HF rotate_half convention: y = x·cos + rotate_half(x)·sin
 * with angles position · theta^(-2i/D), Llama-3-scaled when asked); differentiable in x (the backward pass is the
 * inverse rotation).
 */
export function rope(x: tf.Tensor, options: RopeOptions): tf.Tensor4D {
  if (x.rank !== 4 || x.dtype !== 'float32' || x.shape[3]! % 2 !== 0) {
    throw new ShapeError(`rope: x must be float32 [B, H, T, D] with an even D, got ${x.dtype} [${x.shape.join(', ')}]`, {
      field: 'x',
      hint: 'reshape [B, T, H·D] projections to [B, H, T, D] first',
    });
  }
  const inverseFrequencies = ropeInverseFrequencies(x.shape[3]!, options.theta, options.scaling);
  return tf.tidy(() => {
    const positions = positionsFor(x, options);
    const [y] = ropeKernel([x, positions, tf.tensor1d(inverseFrequencies)], {});
    return y as tf.Tensor4D;
  });
}

/** Returns whether rope runs its fused WGSL kernel on the active backend. */
export function ropeUsesKernel(): boolean {
  return ropeKernel.usesKernel();
}
