import * as tf from '@tensorflow/tfjs';
import { BackendError, InvalidOptionError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { acquireWebGPUDevice, currentDevice } from './dawn-device';
import { describeAdapter } from './device-features';
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

  it('passes over a software adapter when choosing by itself, and says which adapter it saw and why', async (ctx) => {
    const probe = await acquireWebGPUDevice().catch(() => null);
    if (probe === null) {
      expect(process.env.CI, 'CI must have a WebGPU adapter (lavapipe)').not.toBe('true');
      ctx.skip('no WebGPU adapter on this machine');
      return;
    }
    const selection = await selectBackend({ allow: ['webgpu', 'wasm'] });
    if (probe.adapterDescription.software) {
      expect(selection.backend).toBe('wasm');
      expect(selection.fallbacksTried).toEqual([{ backend: 'webgpu', error: expect.stringMatching(/software one \(.*llvmpipe/), passedOver: true }]);
      expect(selection.reason).toMatch(/^wasm: .*chosen because webgpu was passed over \(the only WebGPU adapter is a software one \(mesa software llvmpipe/);
      expect(selection.reason).toMatch(/--backend webgpu/);
    } else {
      expect(selection.backend).toBe('webgpu');
    }
  });

  it('selects webgpu on our own Dawn device with f16 and subgroups when asked for by name (software adapters included)', async (ctx) => {
    const selection = await selectBackend({ prefer: 'webgpu', allow: ['webgpu', 'cpu'] });
    if (selection.backend !== 'webgpu') {
      // No adapter on this machine: the failure must be reported, and CI must have one.
      expect(selection.fallbacksTried[0]!.backend).toBe('webgpu');
      expect(process.env.CI).not.toBe('true');
      ctx.skip('no WebGPU adapter on this machine');
      return;
    }
    expect(selection.features).not.toBeNull();
    const device = currentDevice();
    expect(device).not.toBeNull();
    const backend = tf.backend() as unknown as { device: GPUDevice };
    expect(backend.device).toBe(device!.device);
    expect(selection.features!.featureNames).toEqual([...(device!.device.features as ReadonlySet<string>)].sort());
    expect(selection.reason).toMatch(/^webgpu: WebGPU on .*chosen because it was preferred$/);
    if (device!.adapterDescription.software) expect(selection.reason).toMatch(/software adapter/);
    const sum = tf.tidy(() => tf.matMul(tf.ones([3, 4]), tf.ones([4, 2])));
    expect(Array.from(await sum.data())).toEqual([4, 4, 4, 4, 4, 4]);
    sum.dispose();
    // Selecting again reuses the same device.
    const again = await selectBackend({ prefer: 'webgpu' });
    expect((tf.backend() as unknown as { device: GPUDevice }).device).toBe(device!.device);
    expect(again.backend).toBe('webgpu');
  });
});

describe('describeAdapter', () => {
  it.each([
    [{ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15', description: 'llvmpipe: Mesa 25.0.7' }, false, true],
    [{ vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device (Subzero)' }, false, true],
    [{ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3', isFallbackAdapter: true }, false, true],
    [{ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' }, true, true],
    [{ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' }, false, false],
    [{ vendor: 'apple', architecture: 'metal-3', device: '', description: '' }, false, false],
  ])('marks %o (adapter.isFallbackAdapter %s) software: %s', (info, fallback, software) => {
    expect(describeAdapter(info, fallback).software).toBe(software);
  });
});
