/**
 * Pick, initialise and report the tfjs backend: tensorflow (tfjs-node, when installed) > webgpu
 * (our own Dawn/navigator device with f16 + subgroups) > wasm > cpu. Every failed candidate is
 * reported with its error, and the answer says why the chosen one won.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { BackendError, InvalidOptionError } from '@steerlm/core';
import { BACKEND_ORDER, isBackendName, type BackendName } from './backend-name';
import { acquireWebGPUDevice, adapterName, SoftwareAdapterError, withTimeout, type AcquiredDevice } from './dawn-device';
import type { AdapterDescription, DeviceFeatures } from './device-features';
import { registerWebGPUBackend } from './register-webgpu';
import { describeSelfTests, runDeviceSelfTests, type DeviceSelfTestReport } from './device-self-tests';
import { ensureWasmPaths } from './wasm-paths';
import { mlasAvailable } from '../kernels/host/mlas-gemm';
import { hostMatmulEngine } from '../kernels/host/mlas-ops';

export interface SelectBackendOptions {
  /** Try this backend first; the others follow in the default order unless `strict`. */
  prefer?: BackendName;
  /** Backends that may be tried at all (default: all four). */
  allow?: readonly BackendName[];
  /** Throw a BackendError when `prefer` fails instead of falling back. */
  strict?: boolean;
  /** Milliseconds allowed for adapter/device requests and backend initialisation (default 10 000). */
  timeoutMs?: number;
  /** Dawn toggles for Node (default: allow_unsafe_apis + vulkan_enable_f16_on_nvidia). */
  dawnToggles?: readonly string[];
}

/** One candidate that failed, and why. */
export interface FallbackAttempt {
  backend: BackendName;
  error: string;
  /** True when the backend works but was passed over on purpose (a software WebGPU adapter, when not preferred). */
  passedOver?: boolean;
}

/** The outcome of selectBackend. */
export interface BackendSelection {
  backend: BackendName;
  /** Why this backend was chosen, in words. */
  reason: string;
  /** WebGPU device features (null for other backends). */
  features: DeviceFeatures | null;
  /** WebGPU adapter identity (null for other backends). */
  adapterInfo: AdapterDescription | null;
  fallbacksTried: FallbackAttempt[];
  /** The kernel self-tests run on the WebGPU device (empty for other backends). */
  selfTests: DeviceSelfTestReport[];
}

let lastSelection: BackendSelection | null = null;

/** Returns the result of the last successful selectBackend call (null before one). */
export function currentSelection(): BackendSelection | null {
  return lastSelection;
}

const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Returns the name of the tfjs-node package that loaded, or throws when none is installed. */
async function loadTensorflowBinding(): Promise<string> {
  const errors: string[] = [];
  for (const name of TFJS_NODE_PACKAGES) {
    try {
      await import(/* @vite-ignore */ name);
      return name;
    } catch (cause) {
      errors.push(`${name}: ${(cause as Error).message.split('\n')[0]}`);
    }
  }
  throw new BackendError(`no tfjs-node binding is installed (${errors.join('; ')})`, {
    backend: 'tensorflow',
    hint: 'npm install @tensorflow/tfjs-node (or -gpu) to use TensorFlow C++',
  });
}

async function activate(name: string, timeoutMs: number): Promise<void> {
  const ok = await withTimeout(tf.setBackend(name), timeoutMs, `tf.setBackend('${name}')`);
  if (!ok || tf.getBackend() !== name) throw new BackendError(`tfjs could not initialise the ${name} backend`, { backend: name });
  const probe = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
  const value = (await probe.data())[0];
  probe.dispose();
  if (value !== 3) throw new BackendError(`the ${name} backend computed 1 + 2 = ${value}`, { backend: name });
}

function describeFeatures(features: DeviceFeatures): string {
  const parts = [features.hasF16 ? 'shader-f16' : 'no shader-f16'];
  parts.push(features.hasSubgroups ? `subgroups ${features.subgroupMinSize}-${features.subgroupMaxSize}` : 'no subgroups');
  parts.push(features.hasSubgroupMatrix ? `subgroup-matrix (${features.subgroupMatrixConfigs.length} configs)` : 'no subgroup-matrix');
  return parts.join(', ');
}

async function tryCandidate(
  name: BackendName,
  options: SelectBackendOptions,
): Promise<{ detail: string; device: AcquiredDevice | null; selfTests?: DeviceSelfTestReport[] }> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  switch (name) {
    case 'tensorflow': {
      const binding = await loadTensorflowBinding();
      await activate('tensorflow', timeoutMs);
      return { detail: `TensorFlow C++ via ${binding}`, device: null };
    }
    case 'webgpu': {
      // A software adapter (lavapipe, SwiftShader) is slower than wasm: used only when asked for by name.
      const acquired = await acquireWebGPUDevice({
        timeoutMs,
        allowSoftwareAdapter: options.prefer === 'webgpu',
        ...(options.dawnToggles ? { dawnToggles: options.dawnToggles } : {}),
      });
      registerWebGPUBackend(acquired);
      await activate('webgpu', timeoutMs);
      // First use of the device: check the kernel variants CI never compiles before anything picks them.
      const selfTests = await runDeviceSelfTests(acquired.device, acquired.features);
      const adapter = acquired.adapterDescription;
      const kind = adapter.software ? 'software adapter, ' : '';
      const tested = selfTests.length > 0 ? `; ${describeSelfTests(selfTests)}` : '';
      return {
        detail: `WebGPU on ${adapterName(adapter)} (${kind}${acquired.source}; ${describeFeatures(acquired.features)})${tested}`,
        device: acquired,
        selfTests,
      };
    }
    case 'wasm': {
      try {
        await activate('wasm', timeoutMs);
      } catch (first) {
        if (!ensureWasmPaths()) throw first;
        await activate('wasm', timeoutMs);
      }
      return { detail: `WebAssembly on the CPU (${hostMatmulDetail('XNNPACK')})`, device: null };
    }
    case 'cpu':
      await activate('cpu', timeoutMs);
      return { detail: `plain JavaScript on the CPU (${hostMatmulDetail('JavaScript loops')})`, device: null };
  }
}

/** Says what computes the matmuls of a cpu or wasm backend: MLAS where chosen and loaded, else the backend's own kernels. */
function hostMatmulDetail(own: string): string {
  return hostMatmulEngine() === 'mlas' && mlasAvailable() ? `matmuls on MLAS, onnxruntime's native GEMM; other ops ${own}` : `matmuls and other ops ${own}`;
}

/** Returns the chosen, initialised backend with the reason, device features and failed fallbacks. */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  if (options.prefer !== undefined && !isBackendName(options.prefer)) {
    throw new InvalidOptionError(`unknown backend "${String(options.prefer)}"`, { option: 'prefer', hint: `use one of ${BACKEND_ORDER.join(', ')}` });
  }
  const allowed = options.allow ?? BACKEND_ORDER;
  for (const name of allowed) {
    if (!isBackendName(name))
      throw new InvalidOptionError(`unknown backend "${String(name)}" in allow`, { option: 'allow', hint: `use ${BACKEND_ORDER.join(', ')}` });
  }
  const preferred = options.prefer;
  let candidates: BackendName[] = BACKEND_ORDER.filter((name) => allowed.includes(name));
  if (preferred !== undefined) {
    candidates = options.strict ? [preferred] : [preferred, ...candidates.filter((name) => name !== preferred)];
  }
  const fallbacksTried: FallbackAttempt[] = [];
  for (const name of candidates) {
    try {
      const { detail, device, selfTests } = await tryCandidate(name, options);
      const why =
        name === preferred
          ? 'it was preferred'
          : fallbacksTried.length > 0
            ? fallbacksTried
                .map((attempt) => (attempt.passedOver ? `${attempt.backend} was passed over (${attempt.error})` : `${attempt.backend} failed`))
                .join(', ')
            : 'it is the first available in the order tensorflow > webgpu > wasm > cpu';
      const selection: BackendSelection = {
        backend: name,
        reason: `${name}: ${detail}; chosen because ${why}`,
        features: device?.features ?? null,
        adapterInfo: device?.adapterDescription ?? null,
        fallbacksTried,
        selfTests: selfTests ?? [],
      };
      lastSelection = selection;
      return selection;
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      if (options.strict) {
        throw new BackendError(`the ${name} backend could not be used: ${message}`, {
          backend: name,
          cause,
          hint: 'drop strict: true to fall back to another backend',
        });
      }
      fallbacksTried.push({ backend: name, error: message, ...(cause instanceof SoftwareAdapterError ? { passedOver: true } : {}) });
    }
  }
  throw new BackendError(`no backend could be initialised (${fallbacksTried.map((attempt) => `${attempt.backend}: ${attempt.error}`).join('; ')})`, {
    hint: 'the cpu backend should always work; check that @tensorflow/tfjs is installed once',
  });
}
