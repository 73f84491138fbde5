/**
 * A "fused op": one tfjs op with its own kernel name, and the one place that chooses how it runs:
 * - on the webgpu backend, a registered tfjs kernel (our WGSL via runProgram) whose gradient is
 *   registered under the same name;
 * - on the host backends (cpu, wasm; see host-backend.ts), its `host` implementation when it has
 *   one: loops over values read from host memory, with their own gradients;
 * - everywhere else (tensorflow, webgl, webgpu with fused kernels off), or without a `host`
 *   implementation, a composition of stock tfjs ops, which tfjs differentiates itself.
 * Tests compare them, so the hand-written gradients are checked against tfjs's autodiff of the fallback.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ShapeError } from '@steerlm/core';
import { isHostBackend } from './host-backend';

/** Attribute values a fused op accepts (tfjs NamedAttrMap values). */
export type FusedOpAttributeValue = number | boolean | string | number[];

/** The saved tensors a gradient receives: the op's inputs and all of its outputs. */
export interface FusedOpSaved {
  inputs: tf.Tensor[];
  outputs: tf.Tensor[];
}

/** How to build one fused op. */
export interface FusedOpDefinition<A extends object> {
  /** tfjs kernel name, unique, e.g. 'SteerLMMatMul'. */
  name: string;
  /** Names of the inputs, in the order the op takes them (also the tfjs NamedTensorMap keys). */
  inputNames: readonly string[];
  /** Number of outputs the kernel returns (visible and saved-for-backward ones; default 1). */
  outputCount?: number;
  /** WebGPU implementation on backend-level TensorInfos; return runProgram's outputs. */
  webgpu?: (inputs: tf.TensorInfo[], attributes: A, backend: WebGPUBackend) => tf.TensorInfo[];
  /** Host implementation (cpu, wasm), differentiable on its own; the fallback runs there when absent. */
  host?: (inputs: tf.Tensor[], attributes: A) => tf.Tensor[];
  /** Composed-tfjs implementation, used on every backend without a kernel or host implementation. */
  fallback: (inputs: tf.Tensor[], attributes: A) => tf.Tensor[];
  /**
   * Gradient of the webgpu kernel: returns one gradient per input (same shape, float32), or
   * undefined for an input with no gradient (an int32 mask): zeros are then made only if tfjs asks
   * for that input's gradient, which it does not when the input does not depend on the variables.
   * `dys` has one entry per output (zeros for outputs not used downstream).
   */
  gradient?: (dys: tf.Tensor[], saved: FusedOpSaved, attributes: A) => Array<tf.Tensor | undefined>;
}

/** How a fused op runs on the active backend. */
export type FusedOpPath = 'webgpu' | 'host' | 'composed';

/** A callable fused op. */
export interface FusedOp<A extends object> {
  /** Returns all outputs of the op on `inputs` (on the path `path()` names). */
  (inputs: readonly tf.Tensor[], attributes: A): tf.Tensor[];
  readonly kernelName: string;
  /** Returns true when the op would run its own WGSL kernel on the active backend. */
  usesKernel(): boolean;
  /** Returns the implementation the op would run on the active backend. */
  path(): FusedOpPath;
}

let fusedKernelsEnabled = typeof process === 'undefined' || process.env?.STEERLM_DISABLE_FUSED !== '1';

/** Turns the fused kernels on or off (off: every op uses its composed fallback); returns the previous state. */
export function setFusedKernelsEnabled(enabled: boolean): boolean {
  const previous = fusedKernelsEnabled;
  fusedKernelsEnabled = enabled;
  return previous;
}

/** Returns whether fused kernels are enabled (env STEERLM_DISABLE_FUSED=1 turns them off). */
export function fusedKernelsAreEnabled(): boolean {
  return fusedKernelsEnabled;
}

function register<A extends object>(definition: FusedOpDefinition<A>): void {
  const { name, inputNames } = definition;
  const outputCount = definition.outputCount ?? 1;
  const webgpu = definition.webgpu;
  if (webgpu !== undefined) {
    // Modules may be evaluated again (tests, hot reload) while tfjs's registry persists: replace.
    if (tf.getKernel(name, 'webgpu') !== undefined) tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      kernelName: name,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const ordered = inputNames.map((inputName) => inputs[inputName]!);
        const outputs = webgpu(ordered, attrs as unknown as A, backend as WebGPUBackend);
        return outputs.length === 1 ? outputs[0]! : outputs;
      },
    });
  }
  const gradient = definition.gradient;
  if (gradient !== undefined) {
    if (tf.getGradient(name) !== undefined) tf.unregisterGradient(name);
    tf.registerGradient({
      kernelName: name,
      inputsToSave: [...inputNames],
      outputsToSave: new Array<boolean>(outputCount).fill(true),
      gradFunc: (dy, saved, attrs) => {
        const dys = Array.isArray(dy) ? dy : [dy];
        const savedSplit: FusedOpSaved = { inputs: saved.slice(0, inputNames.length), outputs: saved.slice(inputNames.length) };
        const grads = gradient(dys, savedSplit, attrs as unknown as A);
        const map: Record<string, () => tf.Tensor> = {};
        inputNames.forEach((inputName, index) => {
          map[inputName] = () => grads[index] ?? tf.zeros(savedSplit.inputs[index]!.shape);
        });
        return map;
      },
    });
  }
}

/** Returns a callable op for `definition`; registers its webgpu kernel and gradient with tfjs on first use. */
export function defineFusedOp<A extends object>(definition: FusedOpDefinition<A>): FusedOp<A> {
  let registered = false;
  const usesKernel = (): boolean => fusedKernelsEnabled && definition.webgpu !== undefined && tf.getBackend() === 'webgpu';
  const path = (): FusedOpPath => (usesKernel() ? 'webgpu' : definition.host !== undefined && isHostBackend() ? 'host' : 'composed');
  const op = (inputs: readonly tf.Tensor[], attributes: A): tf.Tensor[] => {
    if (inputs.length !== definition.inputNames.length) {
      throw new ShapeError(`${definition.name} takes ${definition.inputNames.length} inputs (${definition.inputNames.join(', ')}), got ${inputs.length}`);
    }
    const chosen = path();
    if (chosen === 'host') return definition.host!([...inputs], attributes);
    if (chosen === 'composed') return definition.fallback([...inputs], attributes);
    if (!registered) {
      register(definition);
      registered = true;
    }
    const named: tf.NamedTensorMap = {};
    definition.inputNames.forEach((inputName, index) => {
      named[inputName] = inputs[index]!;
    });
    const result = tf.engine().runKernel(definition.name, named, attributes as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
    return Array.isArray(result) ? result : [result];
  };
  return Object.assign(op, { kernelName: definition.name, usesKernel, path });
}
