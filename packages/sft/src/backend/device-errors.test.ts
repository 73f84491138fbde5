import * as tf from '@tensorflow/tfjs';
import { BackendError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import { globalGradNorm } from '../kernels/adamw';
import { forEachBackend } from '../kernels/testing';
import { pendingDeviceErrorCount, programInMessage, recordDeviceError, takeDeviceErrors, throwIfDeviceFailed } from './device-errors';
import { readFloat32, readScalar } from './read-tensor';

describe('programInMessage', () => {
  it('finds the program Dawn names in a message', () => {
    expect(programInMessage('[Invalid ComputePipeline "AddNPackedProgram"] is invalid due to a previous error.')).toBe('AddNPackedProgram');
    expect(programInMessage(' - While calling [Device].CreateComputePipeline([ComputePipelineDescriptor ""SteerLMMatMul""]).')).toBe('SteerLMMatMul');
    expect(programInMessage('[Invalid CommandBuffer] is invalid due to a previous error.')).toBeNull();
  });
});

describe('throwIfDeviceFailed', () => {
  it('does nothing while no error was recorded', () => {
    takeDeviceErrors();
    expect(() => throwIfDeviceFailed()).not.toThrow();
  });

  it('throws a BackendError naming the first program and counting the rest, then forgets them', () => {
    recordDeviceError(
      'validation',
      'The number of storage buffers (53) in the Compute stage exceeds the maximum per-stage limit (16).\n - While validating [ComputePipelineDescriptor ""AddNPackedProgram""]',
    );
    recordDeviceError('validation', '[Invalid CommandBuffer] is invalid due to a previous error.');
    expect(() => throwIfDeviceFailed('step 3')).toThrow(
      /WebGPU validation error in program "AddNPackedProgram" during step 3: The number of storage buffers \(53\).*\(1 more error\(s\) followed\).*--backend wasm/,
    );
    expect(pendingDeviceErrorCount()).toBe(0);
  });

  it('gives out-of-memory a hint about batch size', () => {
    recordDeviceError('out-of-memory', 'Out of memory while allocating a buffer');
    expect.assertions(2);
    try {
      throwIfDeviceFailed();
    } catch (error) {
      expect(BackendError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/out-of-memory error in a GPU program.*--batch-size/);
    }
  });
});

await forEachBackend(['webgpu'], () => {
  it('turns a Dawn validation error (AddN past the storage-buffer limit) into a BackendError at the next read', async () => {
    const limit = (tf.backend() as unknown as { device: GPUDevice }).device.limits.maxStorageBuffersPerShaderStage;
    const inputs = Array.from({ length: limit + 4 }, (_, index) => tf.fill([3], index));
    const sum = tf.addN(inputs);
    await expect(readFloat32(sum)).rejects.toThrow(/WebGPU validation error in program "AddNPackedProgram".*storage buffers/);
    tf.dispose([...inputs, sum]);
    // The device is still usable afterwards, and the next read is clean.
    const ok = tf.add(tf.scalar(2), tf.scalar(3));
    expect(await readScalar(ok)).toBe(5);
    ok.dispose();
  });

  it('explains a synchronous read of GPU data in Node instead of "OffscreenCanvas is not defined"', () => {
    const onGpu = tf.add(tf.range(0, 2048), 1);
    expect(() => onGpu.dataSync()).toThrow(/synchronous read of GPU data .* not possible on webgpu in Node/);
    onGpu.dispose();
  });

  it('computes the global gradient norm over more tensors than the storage-buffer limit without an error', async () => {
    const grads = Array.from({ length: 53 }, (_, index) => tf.fill([index + 1], 0.5));
    const norm = globalGradNorm(grads);
    // Σ over k = 1..53 of k · 0.25 = 0.25 · 53 · 54 / 2.
    expect(await readScalar(norm)).toBeCloseTo(Math.sqrt(0.25 * 1431), 4);
    tf.dispose([...grads, norm]);
  });
});
