/**
 * Run the same kernel tests on several tfjs backends. Call with top-level await in a test file:
 *
 *   await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
 *     it('matches the reference', async () => { … context.backend … });
 *   });
 *
 * Each backend gets a `describe('on <backend>')` whose beforeAll selects it. WebGPU tests run when
 * an adapter exists (a software one included); without one they are skipped locally, and FAIL when
 * env CI=true. On webgpu, any error the device reported during a test fails it.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '@steerlm/core';
import { afterEach, beforeAll, describe, it } from 'vitest';
import { acquireWebGPUDevice, selectBackend, throwIfDeviceFailed, type BackendName, type DeviceFeatures } from '../../backend';

/** What a test body learns about the backend it runs on. */
export interface BackendTestContext {
  backend: BackendName;
  /** WebGPU device features (null on other backends, and before beforeAll ran). */
  readonly features: DeviceFeatures | null;
}

let adapterProbe: Promise<string | null> | null = null;

/** Returns null when a WebGPU adapter and device can be obtained, else the reason why not. */
export function probeWebGPU(): Promise<string | null> {
  adapterProbe ??= acquireWebGPUDevice({ timeoutMs: 10_000 }).then(
    () => null,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  return adapterProbe;
}

/** Returns true when tests must not skip WebGPU (env CI=true). */
export function isContinuousIntegration(): boolean {
  return process.env.CI === 'true';
}

/** What happens to a backend's tests: run them, skip them (no adapter locally) or fail (no adapter on CI). */
export type BackendTestPlan = 'run' | 'skip' | 'fail';

/** Returns the plan for a backend given why it is unavailable (null: available) and whether CI=true. */
export function backendTestPlan(unavailable: string | null, continuousIntegration: boolean): BackendTestPlan {
  if (unavailable === null) return 'run';
  return continuousIntegration ? 'fail' : 'skip';
}

/** Returns after defining one describe block per backend (see file comment). */
export async function forEachBackend(backends: readonly BackendName[], define: (context: BackendTestContext) => void): Promise<void> {
  for (const backend of backends) {
    const unavailable = backend === 'webgpu' ? await probeWebGPU() : null;
    const plan = backendTestPlan(unavailable, isContinuousIntegration());
    if (plan !== 'run') {
      if (plan === 'fail') {
        describe(`on ${backend}`, () => {
          it('has a WebGPU adapter (required when CI=true)', () => {
            throw new BackendError(`no WebGPU adapter on CI: ${unavailable}`, { backend, hint: 'install Mesa lavapipe (mesa-vulkan-drivers) in the CI image' });
          });
        });
      } else {
        describe.skip(`on ${backend} (no adapter: ${unavailable})`, () => define({ backend, features: null }));
      }
      continue;
    }
    let features: DeviceFeatures | null = null;
    describe(`on ${backend}`, () => {
      beforeAll(async () => {
        const selection = await selectBackend({ prefer: backend, strict: true });
        features = selection.features;
        if (tf.getBackend() !== backend) throw new BackendError(`could not activate ${backend}`, { backend });
      });
      // Any error the GPU reported during a test (a Dawn validation message included) fails that test.
      if (backend === 'webgpu') afterEach(() => throwIfDeviceFailed('this test'));
      define({
        backend,
        get features() {
          return features;
        },
      });
    });
  }
}
