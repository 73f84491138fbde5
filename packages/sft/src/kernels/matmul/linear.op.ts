/**
 * Shape legend: N rows of x, K input features, M output features.
 * The fused linear layer y = act(x·W + b) (+ residual): one tiled-matmul dispatch on webgpu with the
 * bias, GELU and residual in its store (matmul.wgsl.ts, MatmulEpilogue); its backward is the GELU
 * derivative (one element-wise dispatch, only with an activation), dx = dz·Wᵀ and dW = xᵀ·dz with the
 * bias gradient summed in the same dispatch (Conv1D layout; Linear layout sums it separately).
 * Elsewhere: composed tfjs ops, which tfjs differentiates itself.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '@steerlm/core';
import { gelu } from '../activations/activations.op';
import type { GeluApproximation } from '../activations/activations.reference';
import { geluBackwardProgram } from '../activations/activations.wgsl';
import { activeMixedPrecision, defineFusedOp, runProgram, runProgramOnTensors, type FusedOp, type FusedOpSaved } from '../runtime';
import { matmul } from './matmul.op';
import { matmulDims } from './matmul.reference';
import { tiledMatmulProgram } from './matmul.wgsl';

/** Options of linear: the weight layout, the activation after the bias, and a residual added last. */
export interface LinearOptions {
  /** W is [M, K] (Hugging Face Linear) instead of [K, M] (GPT-2 Conv1D). */
  transposeWeight?: boolean;
  /** GELU after the bias ('tanh' = gelu_new, 'erf' = exact); none by default. */
  activation?: GeluApproximation | 'none';
  /** [N, M], added after the activation (a transformer's residual stream). */
  residual?: tf.Tensor2D;
}

interface LinearAttributes {
  transposeWeight: boolean;
  activation: GeluApproximation | 'none';
  /**
   * Mixed precision (a MixedPrecisionScope was active, see runtime/precision.ts): f16 operands with
   * f32 accumulation, the weight read from its f16 working copy, the pre-activation saved in f16.
   */
  mixed: boolean;
}

function composed(inputs: tf.Tensor[], attributes: LinearAttributes): tf.Tensor[] {
  const [x, weight, bias, residual] = inputs as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D | undefined];
  return tf.tidy(() => {
    let y: tf.Tensor = tf.add(tf.matMul(x, weight, false, attributes.transposeWeight), bias);
    if (attributes.activation !== 'none') y = gelu(y, { approximation: attributes.activation });
    return [residual ? tf.add(y, residual) : y];
  });
}

function gradient(dys: tf.Tensor[], saved: FusedOpSaved, attributes: LinearAttributes, residual: boolean): tf.Tensor[] {
  const [x, weight] = saved.inputs as [tf.Tensor2D, tf.Tensor2D];
  const dy = dys[0]!;
  const pre = attributes.activation === 'none' ? null : saved.outputs[1]!;
  const dz =
    pre === null
      ? dy
      : runProgramOnTensors(geluBackwardProgram(dy.size, attributes.activation as GeluApproximation, attributes.mixed), [pre, dy])[0]!.reshape(dy.shape);
  // dx = dz · op(W)ᵀ: Conv1D W [K, M] → dz·Wᵀ; Linear W [M, K] → dz·W.
  const dx = matmul(dz, weight, { transposeB: !attributes.transposeWeight });
  let dWeight: tf.Tensor;
  let dBias: tf.Tensor;
  if (!attributes.transposeWeight) {
    // dW [K, M] = xᵀ·dz, and db = Σ_n dz[n, :] from the same pass over dz.
    [dWeight, dBias] = runProgramOnTensors(tiledMatmulProgram(matmulDims(x.shape, dz.shape, true, false), attributes.mixed, { sumBColumns: true }), [
      x,
      dz,
    ]) as [tf.Tensor, tf.Tensor];
  } else {
    dWeight = matmul(dz, x, { transposeA: true });
    dBias = tf.sum(dz, 0);
  }
  if (dz !== dy) dz.dispose();
  return residual ? [dx, dWeight, dBias, tf.clone(dy)] : [dx, dWeight, dBias];
}

const ops = new Map<string, FusedOp<LinearAttributes>>();

/** Returns the fused op with or without a residual input and a GELU (outputs [y, pre] with one, [y] without). */
function linearOp(residual: boolean, activated: boolean): FusedOp<LinearAttributes> {
  const key = `${residual}|${activated}`;
  let op = ops.get(key);
  if (op === undefined) {
    op = defineFusedOp<LinearAttributes>({
      name: `SteerLMLinear${residual ? 'Residual' : ''}${activated ? 'Gelu' : ''}`,
      inputNames: ['x', 'weight', 'bias', ...(residual ? ['residual'] : [])],
      outputCount: activated ? 2 : 1,
      webgpu: (inputs, attributes, backend) => {
        const dims = matmulDims(inputs[0]!.shape, inputs[1]!.shape, false, attributes.transposeWeight);
        const epilogue = {
          bias: true,
          residual,
          ...(attributes.activation !== 'none' ? { activation: attributes.activation, savePreActivation: true, halfPreActivation: attributes.mixed } : {}),
        };
        const halfWeight = attributes.mixed ? activeMixedPrecision()?.halfCopyOf(inputs[1]!.dataId) : undefined;
        const bound = halfWeight === undefined ? inputs : [inputs[0]!, halfWeight, ...inputs.slice(2)];
        return runProgram(tiledMatmulProgram(dims, attributes.mixed, epilogue, { b: halfWeight !== undefined }), bound, backend);
      },
      fallback: composed,
      gradient: (dys, saved, attributes) => gradient(dys, saved, attributes, residual),
    });
    ops.set(key, op);
  }
  return op;
}

/**
 * Returns act(x·W + b) + residual for x [N, K], W [K, M] (or [M, K] with transposeWeight), b [M]:
 * one dispatch on webgpu, differentiable in x, W, b and the residual on every backend.
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias: tf.Tensor1D, options: LinearOptions = {}): tf.Tensor2D {
  const transposeWeight = options.transposeWeight ?? false;
  const activation = options.activation ?? 'none';
  const [N, K] = x.shape;
  const M = transposeWeight ? weight.shape[0] : weight.shape[1];
  if (x.rank !== 2 || weight.rank !== 2 || (transposeWeight ? weight.shape[1] : weight.shape[0]) !== K) {
    throw new ShapeError(
      `linear: x [${x.shape.join(', ')}] and weight [${weight.shape.join(', ')}] do not fit (${transposeWeight ? 'W [M, K]' : 'W [K, M]'})`,
      {
        field: 'weight',
      },
    );
  }
  if (bias.rank !== 1 || bias.shape[0] !== M) throw new ShapeError(`linear: bias [${bias.shape.join(', ')}] must be [${M}]`, { field: 'bias' });
  if (options.residual && (options.residual.shape[0] !== N || options.residual.shape[1] !== M)) {
    throw new ShapeError(`linear: residual [${options.residual.shape.join(', ')}] must be [${N}, ${M}]`, { field: 'residual' });
  }
  const op = linearOp(options.residual !== undefined, activation !== 'none');
  const inputs = options.residual ? [x, weight, bias, options.residual] : [x, weight, bias];
  const mixed = activeMixedPrecision() !== null && op.usesKernel();
  const outputs = op(inputs, { transposeWeight, activation, mixed });
  if (outputs.length > 1) tf.dispose(outputs.slice(1));
  return outputs[0] as tf.Tensor2D;
}

/** Returns true when linear runs its WGSL kernel on the active backend. */
export function linearUsesKernel(): boolean {
  return linearOp(false, false).usesKernel();
}
