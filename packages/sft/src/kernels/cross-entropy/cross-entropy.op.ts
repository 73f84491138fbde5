// Shape legend: N rows (tokens), V vocabulary size; logits may be [..., V] with targets/lossMask [...].
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { activeMixedPrecision, defineFusedOp, runProgram, runProgramOnTensors } from '../runtime';
import { crossEntropyComposed } from './cross-entropy.composed';
import { crossEntropyHost } from './cross-entropy.host';
import { crossEntropyBackwardProgram, crossEntropyForwardProgram } from './cross-entropy.wgsl';
import { firstOutOfRange, hostInt32Values } from '../host';

const crossEntropyKernel = defineFusedOp<Record<string, never>>({
  name: 'SteerLMCrossEntropy',
  inputNames: ['logits', 'targets', 'lossMask'],
  outputCount: 2,
  webgpu: ([logits, targets, lossMask], _attributes, backend) =>
    runProgram(crossEntropyForwardProgram(logits!.shape[0]!, logits!.shape[1]!), [logits!, targets!, lossMask!], backend),
  host: ([logits, targets, lossMask]) => [crossEntropyHost(logits as tf.Tensor2D, targets as tf.Tensor1D, lossMask as tf.Tensor1D)],
  fallback: ([logits, targets, lossMask]) => [crossEntropyComposed(logits as tf.Tensor2D, targets as tf.Tensor1D, lossMask as tf.Tensor1D)],
  gradient: ([dlosses], { inputs: [logits, targets, lossMask], outputs: [, logSumExp] }) => {
    const [rows, vocabulary] = logits!.shape as [number, number];
    // Dynamic loss scaling (mixed precision): the gradient is multiplied by the scale on the GPU.
    const lossScale = activeMixedPrecision()?.lossScale ?? null;
    const inputs = [logits!, targets!, lossMask!, logSumExp!, dlosses!, ...(lossScale ? [lossScale] : [])];
    const [dlogits] = runProgramOnTensors(crossEntropyBackwardProgram(rows, vocabulary, lossScale !== null), inputs);
    return [dlogits!, tf.zeros([rows]), tf.zeros([rows])];
  },
});

function validate(logits: tf.Tensor, targets: tf.Tensor, lossMask: tf.Tensor): void {
  const leading = logits.shape.slice(0, -1);
  const vocabulary = logits.shape[logits.rank - 1];
  if (logits.rank < 2 || logits.dtype !== 'float32' || vocabulary === 0) {
    throw new ShapeError(`crossEntropy: logits must be float32 [..., V] with V > 0, got ${logits.dtype} [${logits.shape.join(', ')}]`, {
      field: 'logits',
    });
  }
  for (const [name, tensor, dtype] of [
    ['targets', targets, 'int32'],
    ['lossMask', lossMask, 'float32'],
  ] as const) {
    if (tensor.dtype !== dtype || tensor.shape.join(',') !== leading.join(',')) {
      throw new ShapeError(
        `crossEntropy: ${name} must be ${dtype} [${leading.join(', ')}] (logits without the vocabulary axis), got ${tensor.dtype} [${tensor.shape.join(', ')}]`,
        { field: name, hint: name === 'targets' ? 'targets are token ids: tf.tensor(ids, shape, "int32")' : 'use 1 for tokens that count, 0 for the rest' },
      );
    }
  }
  const values = hostInt32Values(targets);
  const bad = values === null ? -1 : firstOutOfRange(values, vocabulary!);
  if (bad >= 0) {
    throw new ShapeError(`crossEntropy: targets[${bad}] = ${values![bad]} is outside the vocabulary [0, ${vocabulary})`, {
      field: 'targets',
      hint: 'replace ignored positions (e.g. -100) by 0 and set their lossMask to 0',
    });
  }
}

/**
 * Returns the per-token losses [...] = lossMask · (logsumexp(logits) - logits[target]), softmax cross-entropy
 * over the last axis (max-subtracted, no one-hot); differentiable in logits (targets and lossMask are
 * constants). Targets outside [0, V) throw ShapeError when readable on the host (on webgpu, GPU-resident
 * targets are not read back: an out-of-range one yields a NaN loss).
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, lossMask: tf.Tensor): tf.Tensor {
  validate(logits, targets, lossMask);
  const vocabulary = logits.shape[logits.rank - 1]!;
  return tf.tidy(() => {
    const [losses] = crossEntropyKernel([tf.reshape(logits, [-1, vocabulary]), tf.reshape(targets, [-1]), tf.reshape(lossMask, [-1])], {});
    return tf.reshape(losses!, targets.shape);
  });
}

/** Returns the scalar sum(losses) / max(1, sum(lossMask)): the mean cross-entropy over unmasked tokens. */
export function maskedMeanCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, lossMask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(crossEntropy(logits, targets, lossMask)), tf.maximum(tf.sum(lossMask), 1)));
}

/** Returns whether crossEntropy runs its fused WGSL kernels on the active backend. */
export function crossEntropyUsesKernel(): boolean {
  return crossEntropyKernel.usesKernel();
}
