/**
 * Tests every fused-kernel test file defines the same way: which path an op takes on a backend, the composed
 * tfjs fallback on WebGPU, and the compile check of the WGSL programs. Call them inside `forEachBackend`.
 */
import { expect, it } from 'vitest';
import { checkCompiledPrograms, fusedKernelsAreEnabled, setFusedKernelsEnabled } from '../runtime';
import type { BackendTestContext } from './for-each-backend';

/** Expects `usesKernel` (an op's `…UsesKernel()`) to be true exactly on WebGPU with the fused kernels enabled. */
export function expectKernelChoice(context: BackendTestContext, usesKernel: boolean): void {
  expect(usesKernel).toBe(context.backend === 'webgpu' && fusedKernelsAreEnabled());
}

/** On WebGPU, defines a test that runs `body` again with the fused kernels off, so the composed fallback is checked too. */
export function itMatchesWithFusedKernelsOff(
  context: BackendTestContext,
  body: () => Promise<void>,
  title = 'the composed fallback matches too (fused kernels off)',
): void {
  if (context.backend !== 'webgpu') return;
  it(title, async () => {
    const previous = setFusedKernelsEnabled(false);
    try {
      await body();
    } finally {
      setFusedKernelsEnabled(previous);
    }
  });
}

/** On WebGPU, defines the test that every WGSL program compiled without errors. */
export function itCompiledEveryProgram(context: BackendTestContext): void {
  if (context.backend !== 'webgpu') return;
  it('compiled every WGSL program', async () => {
    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
  });
}
