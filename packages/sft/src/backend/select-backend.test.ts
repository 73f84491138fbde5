import * as tf from '@tensorflow/tfjs';
import { BackendError, InvalidOptionError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { currentDevice } from './dawn-device';
import { selectBackend } from './select-backend';

describe('selectBackend', () => {
  it('reports tfjs-node as a tried-and-missing fallback and picks the next backend', async () => {
    const selection = await selectBackend({ allow: ['tensorflow', 'cpu'] });
    expect(selection.backend).toBe('cpu');
    expect(selection.fallbacksTried.map((attempt) => attempt.backend)).toEqual(['tensorflow']);
    expect(selection.fallbacksTried[0]!.error).toMatch(/tfjs-node/);
    expect(selection.reason).toMatch(/tensorflow failed/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('initialises wasm in Node', async () => {
    const selection = await selectBackend({ prefer: 'wasm', strict: true });
    expect(selection.backend).toBe('wasm');
    expect(selection.reason).toMatch(/preferred/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('throws BackendError in strict mode when the preferred backend is missing', async () => {
    await expect(selectBackend({ prefer: 'tensorflow', strict: true })).rejects.toSatisfy((error: unknown) => BackendError.isInstance(error));
  });

  it('rejects unknown backend names', async () => {
    await expect(selectBackend({ prefer: 'cuda' as never })).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('reports the webgpu failure when it falls back, and never falls back on CI', async (ctx) => {
    const selection = await selectBackend({ allow: ['webgpu', 'cpu'] });
    if (selection.backend === 'webgpu') ctx.skip('this machine has a WebGPU adapter, so there is no fallback to report');
    expect(selection.fallbacksTried[0]!.backend).toBe('webgpu');
    expect(process.env.CI).not.toBe('true');
  });

  it('selects webgpu on our own Dawn device with f16 and subgroups when an adapter exists', async (ctx) => {
    const selection = await selectBackend({ allow: ['webgpu', 'cpu'] });
    if (selection.backend !== 'webgpu') ctx.skip(`no WebGPU adapter on this machine (${selection.fallbacksTried[0]?.error ?? 'unknown reason'}); CI=true makes this an error`);
    expect(selection.features).not.toBeNull();
    const device = currentDevice();
    expect(device).not.toBeNull();
    const backend = tf.backend() as unknown as { device: GPUDevice };
    expect(backend.device).toBe(device!.device);
    expect(selection.features!.featureNames).toEqual([...(device!.device.features as ReadonlySet<string>)].sort());
    expect(selection.reason).toMatch(/WebGPU on/);
    const sum = tf.tidy(() => tf.matMul(tf.ones([3, 4]), tf.ones([4, 2])));
    expect(Array.from(await sum.data())).toEqual([4, 4, 4, 4, 4, 4]);
    sum.dispose();
    // Selecting again reuses the same device.
    const again = await selectBackend({ prefer: 'webgpu' });
    expect((tf.backend() as unknown as { device: GPUDevice }).device).toBe(device!.device);
    expect(again.backend).toBe('webgpu');
  });
});
