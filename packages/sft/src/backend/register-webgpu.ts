/**
 * Register a WebGPU device we requested ourselves (with shader-f16, subgroups, raised limits) as
 * tfjs's `webgpu` backend. The name must stay `webgpu`: tfjs keys its kernel registry by backend
 * name, so a new name would have no kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { AcquiredDevice } from './dawn-device';

/** The device whose backend is registered as `webgpu` now (null before the first registration). */
let registeredDevice: GPUDevice | null = null;

/** Returns true when tfjs's `webgpu` backend runs on `acquired.device` (registering it if needed). */
export function registerWebGPUBackend(acquired: AcquiredDevice, priority = 3): boolean {
  if (registeredDevice === acquired.device && tf.findBackendFactory('webgpu') !== null) return true;
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  const adapterInfo = acquired.adapterInfo as GPUAdapterInfo | undefined;
  const registered = tf.registerBackend('webgpu', () => new WebGPUBackend(acquired.device, adapterInfo), priority);
  if (registered) registeredDevice = acquired.device;
  return registered;
}
