/**
 * Access to tfjs's WebGPU backend for our own kernels: the backend object, its device and
 * features, and the few tfjs-backend-webgpu 4.22 internals needed to record our dispatches into
 * tfjs's command encoder so they run in order with tfjs's own queued commands.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BackendError } from '@steerlm/core';
import { currentDevice, readDeviceFeatures, type DeviceFeatures } from '../../backend';

/** The private members of tfjs-backend-webgpu 4.22's WebGPUBackend that the runtime uses. */
export interface WebGPUBackendInternals {
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  dispatchCountInPass: number;
  /** tfjs's open compute pass (null when none is open); our dispatches join it. */
  computePassEncoder: GPUComputePassEncoder | null;
  /** Set while tf.profile / tf.time runs: each timed program pushes its timestamp query. */
  activeTimers: Array<{ name: string; query: Promise<number> }> | null | undefined;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  /** Resolves the two timestamps of the last timed pass to milliseconds (submits the encoder). */
  getQueryTime(): Promise<number>;
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown; dtype: string; shape: number[] } | undefined };
}

/** Returns true when `backend` looks like tfjs-backend-webgpu's WebGPUBackend (duck-typed across module copies). */
export function isWebGPUBackend(backend: unknown): backend is WebGPUBackend {
  const candidate = backend as Partial<WebGPUBackend> | null;
  return (
    candidate !== null &&
    typeof candidate === 'object' &&
    typeof candidate.uploadToGPU === 'function' &&
    typeof candidate.submitQueue === 'function' &&
    candidate.device !== undefined
  );
}

/** Returns the active tfjs backend as a WebGPUBackend, or throws BackendError when another backend is active. */
export function getWebGPUBackend(backend: unknown = tf.backend()): WebGPUBackend {
  if (!isWebGPUBackend(backend)) {
    throw new BackendError(`a WGSL kernel needs the webgpu backend, but tfjs runs on "${tf.getBackend()}"`, {
      backend: tf.getBackend(),
      hint: 'call selectBackend({ prefer: "webgpu" }) first, or use the op (which falls back to composed tfjs ops)',
    });
  }
  return backend;
}

/** Returns the backend's private state used to order our commands with tfjs's (throws if tfjs changed it). */
export function backendInternals(backend: WebGPUBackend): WebGPUBackendInternals {
  const internals = backend as unknown as WebGPUBackendInternals;
  if (!(internals.commandQueueOwnedIds instanceof WeakSet) || !Array.isArray(internals.uniformPendingDisposal)) {
    throw new BackendError('this @tensorflow/tfjs-backend-webgpu does not have the 4.22 internals the WGSL runtime relies on', {
      backend: 'webgpu',
      hint: 'install @tensorflow/tfjs-backend-webgpu 4.22',
    });
  }
  return internals;
}

const featureCache = new WeakMap<GPUDevice, DeviceFeatures>();

/** Returns the features of the device behind `backend` (default: the active webgpu backend). */
export function webgpuFeatures(backend: WebGPUBackend = getWebGPUBackend()): DeviceFeatures {
  const device = backend.device;
  let features = featureCache.get(device);
  if (features === undefined) {
    const acquired = currentDevice();
    features = acquired !== null && acquired.device === device ? acquired.features : readDeviceFeatures(device);
    featureCache.set(device, features);
  }
  return features;
}
