// Shape legend: any shape; elementwise (flattened to [size] for the kernels).
import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { defineFusedOp, runProgram, runProgramOnTensors } from '../runtime';
import { geluComposed, swigluComposed } from './activations.composed';
import { geluTanhHost } from './activations.host';
import type { GeluApproximation } from './activations.reference';
import { swigluHost } from './swiglu.host';
import { geluBackwardProgram, geluForwardProgram, swigluBackwardProgram, swigluForwardProgram } from './activations.wgsl';

const swigluKernel = defineFusedOp<Record<string, never>>({
  name: 'SteerLMSwiGLU',
  inputNames: ['gate', 'up'],
  webgpu: ([gate, up], _attributes, backend) => runProgram(swigluForwardProgram(gate!.shape[0]!), [gate!, up!], backend),
  host: ([gate, up]) => [swigluHost(gate!, up!)],
  fallback: ([gate, up]) => [swigluComposed(gate!, up!)],
  gradient: ([dy], { inputs: [gate, up] }) => runProgramOnTensors(swigluBackwardProgram(gate!.shape[0]!), [gate!, up!, dy!]),
});

interface GeluAttributes {
  approximation: GeluApproximation;
}

const geluKernel = defineFusedOp<GeluAttributes>({
  name: 'SteerLMGelu',
  inputNames: ['x'],
  webgpu: ([x], { approximation }, backend) => runProgram(geluForwardProgram(x!.shape[0]!, approximation), [x!], backend),
  // The host loop covers the tanh form (GPT-2's gelu_new); the erf form is composed everywhere but webgpu.
  host: ([x], { approximation }) => [approximation === 'tanh' ? geluTanhHost(x!) : geluComposed(x!, approximation)],
  fallback: ([x], { approximation }) => [geluComposed(x!, approximation)],
  gradient: ([dy], { inputs: [x] }, { approximation }) => runProgramOnTensors(geluBackwardProgram(x!.shape[0]!, approximation), [x!, dy!]),
});

function checkFloat(op: string, name: string, tensor: tf.Tensor): void {
  if (tensor.dtype !== 'float32') {
    throw new ShapeError(`${op}: ${name} must be float32, got ${tensor.dtype} [${tensor.shape.join(', ')}]`, { field: name, hint: 'cast it to float32' });
  }
}

/** Returns swiglu(gate, up) = silu(gate) · up, shaped like gate; differentiable in both inputs. */
export function swiglu<T extends tf.Tensor>(gate: T, up: tf.Tensor): T {
  checkFloat('swiglu', 'gate', gate);
  checkFloat('swiglu', 'up', up);
  if (gate.shape.join(',') !== up.shape.join(',')) {
    throw new ShapeError(`swiglu: gate [${gate.shape.join(', ')}] and up [${up.shape.join(', ')}] must have the same shape`, {
      hint: 'both come from projections of the same input to the same width',
    });
  }
  return tf.tidy(() => tf.reshape(swigluKernel([tf.reshape(gate, [-1]), tf.reshape(up, [-1])], {})[0]!, gate.shape) as T);
}

/** Options of gelu. */
export interface GeluOptions {
  /** 'tanh' (default): GPT-2's gelu_new, 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))); 'erf': the exact 0.5x(1 + erf(x/√2)). */
  approximation?: GeluApproximation;
}

/** Returns gelu(x), shaped like x; differentiable. */
export function gelu<T extends tf.Tensor>(x: T, options: GeluOptions = {}): T {
  const approximation = options.approximation ?? 'tanh';
  if (approximation !== 'tanh' && approximation !== 'erf') {
    throw new InvalidOptionError(`gelu: approximation must be "tanh" or "erf", got "${String(approximation)}"`, {
      option: 'approximation',
      hint: 'GPT-2 uses "tanh" (gelu_new); BERT-style models use "erf"',
    });
  }
  checkFloat('gelu', 'x', x);
  return tf.tidy(() => tf.reshape(geluKernel([tf.reshape(x, [-1])], { approximation })[0]!, x.shape) as T);
}

/** Returns whether swiglu and gelu run their fused WGSL kernels on the active backend. */
export function activationsUseKernel(): boolean {
  return swigluKernel.usesKernel();
}
