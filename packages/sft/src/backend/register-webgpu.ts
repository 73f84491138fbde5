/**
 * Register a WebGPU device we requested ourselves (with shader-f16, subgroups, raised limits) as
 * tfjs's `webgpu` backend. The name must stay `webgpu`: tfjs keys its kernel registry by backend
 * name, so a new name would have no kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BackendError } from '@steerlm/core';
import type { AcquiredDevice } from './dawn-device';

/**
 * Returns `backend` with a readSync that explains itself: tfjs-webgpu reads GPU data synchronously
 * through OffscreenCanvas, which Node lacks, and would fail with "OffscreenCanvas is not defined".
 */
function explainSyncReads(backend: WebGPUBackend): WebGPUBackend {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    try {
      return readSync(dataId);
    } catch (cause) {
      if (!(cause instanceof ReferenceError) || !cause.message.includes('OffscreenCanvas')) throw cause;
      throw new BackendError('a synchronous read of GPU data (dataSync, arraySync, or a tfjs kernel that reads on the CPU) is not possible on webgpu in Node', {
        backend: 'webgpu',
        cause,
        hint: 'this is a bug in steerlm: report it with the stack; read values with await tensor.data() (readTensor), or run with --backend wasm meanwhile',
      });
    }
  };
  return backend;
}

/** The device whose backend is registered as `webgpu` now (null before the first registration). */
let registeredDevice: GPUDevice | null = null;

/** Returns true when tfjs's `webgpu` backend runs on `acquired.device` (registering it if needed). */
export function registerWebGPUBackend(acquired: AcquiredDevice, priority = 3): boolean {
  if (registeredDevice === acquired.device && tf.findBackendFactory('webgpu') !== null) return true;
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  const adapterInfo = acquired.adapterInfo as GPUAdapterInfo | undefined;
  const registered = tf.registerBackend('webgpu', () => explainSyncReads(new WebGPUBackend(acquired.device, adapterInfo)), priority);
  if (registered) registeredDevice = acquired.device;
  return registered;
}
