import * as tf from '@tensorflow/tfjs';
import { BackendError, ShapeError } from '@steerlm/core';
import { describe, expect, it } from 'vitest';
import type { DeviceFeatures } from '../../backend';
import { checkCompiledPrograms, pipelineCacheKeys, webgpuFeatures } from '../runtime';
import {
  checkGradient,
  contract,
  expectClose,
  expectNoTensorLeak,
  forEachBackend,
  randomArray,
  readFloat32,
  roundArrayToFloat16,
  toleranceFor,
} from '../testing';
import { matmul, matmulUsesKernel } from './matmul.op';
import { matmulBackwardReference, matmulDims, matmulReference, type MatmulDims } from './matmul.reference';
import { chooseMatmulVariant, matmulVariantUnsupported } from './matmul.variant';
import type { MatmulVariant } from './matmul.wgsl';

interface Case {
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
}

const CASES: Case[] = [
  { a: [1, 1], b: [1, 1] },
  { a: [7, 13], b: [13, 5] },
  { a: [33, 65], b: [65, 17] },
  { a: [13, 7], b: [13, 5], transposeA: true },
  { a: [7, 13], b: [5, 13], transposeB: true },
  { a: [65, 33], b: [17, 65], transposeA: true, transposeB: true },
  { a: [3, 9, 11], b: [11, 6] },
  { a: [3, 11, 9], b: [6, 11], transposeA: true, transposeB: true },
  { a: [2, 5, 7], b: [2, 7, 3] },
  { a: [5, 7], b: [2, 3, 7], transposeB: true },
  { a: [2, 70, 5], b: [2, 5, 66] },
];

function describeCase(c: Case): string {
  return `[${c.a.join('x')}]${c.transposeA ? 'ᵀ' : ''} · [${c.b.join('x')}]${c.transposeB ? 'ᵀ' : ''}`;
}

function fixtures(c: Case, seed: number): { a: Float32Array; b: Float32Array; dims: MatmulDims; weights: Float32Array } {
  const dims = matmulDims(c.a, c.b, c.transposeA, c.transposeB);
  return {
    a: randomArray(c.a, { seed }),
    b: randomArray(c.b, { seed: seed + 1 }),
    dims,
    weights: randomArray(dims.batch * dims.M * dims.N, { seed: seed + 2 }),
  };
}

/** Returns C and (dA, dB) of sum(C ⊙ W) computed by the op on the active backend. */
async function runOp(
  c: Case,
  a: Float32Array,
  b: Float32Array,
  weights: Float32Array,
  variant?: MatmulVariant,
): Promise<{ c: Float32Array; dA: Float32Array; dB: Float32Array }> {
  return expectNoTensorLeak(async () => {
    const at = tf.tensor(a, c.a);
    const bt = tf.tensor(b, c.b);
    const options = { transposeA: c.transposeA ?? false, transposeB: c.transposeB ?? false, ...(variant ? { variant } : {}) };
    const product = matmul(at, bt, options);
    const w = tf.tensor(weights, product.shape);
    const grads = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul(x, y, options), w)))([at, bt]);
    const result = { c: await readFloat32(product), dA: await readFloat32(grads[0]!), dB: await readFloat32(grads[1]!) };
    tf.dispose([at, bt, product, w, ...grads]);
    return result;
  });
}

describe('matmul reference', () => {
  it('has a backward pass that matches finite differences', () => {
    for (const c of [CASES[1]!, CASES[5]!, CASES[7]!, CASES[9]!]) {
      const { a, b, dims, weights } = fixtures(c, 11);
      const { dA, dB } = matmulBackwardReference(a, b, weights, dims);
      checkGradient(([x, y]) => contract(matmulReference(x!, y!, dims), weights), [dA, dB], [a, b], { label: describeCase(c) });
    }
  });

  it('rejects mismatched shapes with ShapeError', () => {
    expect(() => matmulDims([2, 3], [4, 5])).toThrow(ShapeError);
    expect(() => matmulDims([2, 3, 4], [3, 4, 5])).toThrow(/batch sizes differ/);
    expect(() => matmulDims([4], [4, 5])).toThrow(ShapeError);
  });
});

describe('matmul variant selection', () => {
  const base: DeviceFeatures = {
    hasF16: false,
    hasSubgroups: false,
    hasSubgroupMatrix: false,
    subgroupMinSize: 0,
    subgroupMaxSize: 0,
    subgroupMatrixConfigs: [],
    featureNames: [],
    maxStorageBufferBindingSize: 1 << 27,
    maxBufferSize: 1 << 28,
    maxComputeWorkgroupStorageSize: 16384,
    maxComputeInvocationsPerWorkgroup: 256,
    maxComputeWorkgroupsPerDimension: 65535,
  };
  it('picks the fastest supported variant for f16 and always tiled-f32 for f32', () => {
    const lavapipe = { ...base, hasF16: true, hasSubgroups: true, subgroupMinSize: 8, subgroupMaxSize: 8 };
    const nvidia = {
      ...lavapipe,
      hasSubgroupMatrix: true,
      subgroupMaxSize: 32,
      subgroupMatrixConfigs: [{ componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 }],
    };
    const passed = { name: 'subgroup-matrix GEMM', status: 'passed', detail: 'agrees' } as const;
    const failed = { name: 'subgroup-matrix GEMM', status: 'failed', detail: 'differs by 40x' } as const;
    expect(chooseMatmulVariant(base, 'f16', passed)).toBe('tiled-f32');
    expect(chooseMatmulVariant(lavapipe, 'f16', null)).toBe('tiled-f16');
    expect(chooseMatmulVariant(nvidia, 'f16', passed)).toBe('subgroup-matrix-f16');
    expect(chooseMatmulVariant(nvidia, 'f32', passed)).toBe('tiled-f32');
    // Never chosen before its self-test passed on the device, nor after it failed there.
    expect(chooseMatmulVariant(nvidia, 'f16', undefined)).toBe('tiled-f16');
    expect(chooseMatmulVariant(nvidia, 'f16', failed)).toBe('tiled-f16');
    expect(matmulVariantUnsupported('subgroup-matrix-f16', nvidia, failed)).toMatch(/switched off.*differs by 40x/);
    expect(matmulVariantUnsupported('subgroup-matrix-f16', nvidia, passed)).toBeNull();
    expect(matmulVariantUnsupported('subgroup-matrix-f16', lavapipe)).toMatch(/subgroup-matrix/);
  });
});

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  it('uses its WGSL kernel only on webgpu', () => {
    expect(matmulUsesKernel()).toBe(context.backend === 'webgpu');
  });

  for (const [index, c] of CASES.entries()) {
    it(`matches the reference forward and backward for ${describeCase(c)}`, async () => {
      const { a, b, dims, weights } = fixtures(c, 100 + index);
      const out = await runOp(c, a, b, weights);
      const tolerance = toleranceFor('f32', Math.sqrt(dims.K + dims.M + dims.N));
      expectClose(out.c, matmulReference(a, b, dims), { ...tolerance, label: `C of ${describeCase(c)}` });
      const { dA, dB } = matmulBackwardReference(a, b, weights, dims);
      expectClose(out.dA, dA, { ...tolerance, label: `dA of ${describeCase(c)}` });
      expectClose(out.dB, dB, { ...tolerance, label: `dB of ${describeCase(c)}` });
    });
  }

  if (context.backend !== 'webgpu') return;

  it('compiles one tiled-f32 pipeline per transpose combination, whatever the shapes', async () => {
    // Self-contained (not relying on which cases ran before): every transpose combination at two shapes.
    const device = (tf.backend() as unknown as { device: GPUDevice }).device;
    const before = new Set(pipelineCacheKeys(device));
    for (const [m, k, n] of [
      [3, 5, 2],
      [9, 4, 7],
    ] as const) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          const a = tf.ones(transposeA ? [k, m] : [m, k]);
          const b = tf.ones(transposeB ? [n, k] : [k, n]);
          const product = matmul(a, b, { transposeA, transposeB });
          expect(Array.from(await readFloat32(product))).toEqual(new Array(m * n).fill(k));
          tf.dispose([a, b, product]);
        }
      }
    }
    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
    const keys = pipelineCacheKeys(device).filter((key) => key.startsWith('SteerLMMatMul|tiled-f32|'));
    expect(keys).toHaveLength(4);
    // The two shapes added no pipeline beyond the four combinations (those compiled earlier are reused).
    expect(keys.filter((key) => !before.has(key)).length).toBeLessThanOrEqual(4);
  });

  it('refuses the tiled-f16 variant with a BackendError where the adapter lacks shader-f16', (ctx) => {
    if (webgpuFeatures().hasF16) ctx.skip('this adapter offers shader-f16, so tiled-f16 runs (tested below)');
    expect(() => matmul(tf.ones([2, 2]), tf.ones([2, 2]), { variant: 'tiled-f16' })).toThrow(BackendError);
  });

  /** Returns nothing; checks C, dA and dB of `variant` (f16 inputs, f32 accumulation) on every case. */
  async function expectF16VariantMatches(variant: MatmulVariant, seed: number): Promise<void> {
    for (const [index, c] of CASES.entries()) {
      const { a, b, dims, weights } = fixtures(c, seed + index);
      const out = await runOp(c, a, b, weights, variant);
      // Reference on f16-rounded inputs: the products are exact in f32, only sums round.
      const expected = matmulReference(roundArrayToFloat16(a), roundArrayToFloat16(b), dims);
      expectClose(out.c, expected, { ...toleranceFor('f32', Math.sqrt(dims.K)), label: `${variant} C of ${describeCase(c)}` });
      // and it stays within f16 tolerance of the exact f32 product.
      expectClose(out.c, matmulReference(a, b, dims), { ...toleranceFor('f16', Math.sqrt(dims.K)), label: `${variant} vs f32 C of ${describeCase(c)}` });
      // Both gradients run through the same variant (dA = W·Bᵀ sums over N, dB = Aᵀ·W over M and the batch):
      // tight against the reference on f16-rounded operands, within f16 tolerance of the exact gradients.
      const rounded = matmulBackwardReference(roundArrayToFloat16(a), roundArrayToFloat16(b), roundArrayToFloat16(weights), dims);
      const exact = matmulBackwardReference(a, b, weights, dims);
      const reduced = { dA: Math.sqrt(dims.N), dB: Math.sqrt(dims.M * dims.batch) };
      for (const name of ['dA', 'dB'] as const) {
        expectClose(out[name], rounded[name], { ...toleranceFor('f32', reduced[name]), label: `${variant} ${name} of ${describeCase(c)}` });
        expectClose(out[name], exact[name], { ...toleranceFor('f16', reduced[name]), label: `${variant} vs f32 ${name} of ${describeCase(c)}` });
      }
    }
    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
  }

  it('runs the tiled-f16 variant (f16 inputs, f32 accumulation) when shader-f16 is offered: C, dA and dB', async (ctx) => {
    if (!webgpuFeatures().hasF16) ctx.skip('this adapter lacks shader-f16, so tiled-f16 cannot run (its refusal is tested above)');
    await expectF16VariantMatches('tiled-f16', 300);
  });

  it('runs the subgroup-matrix-f16 variant where the adapter offers it: C, dA and dB', async (ctx) => {
    const unsupported = matmulVariantUnsupported('subgroup-matrix-f16', webgpuFeatures());
    if (unsupported !== null) ctx.skip(`subgroup-matrix-f16 cannot run on this adapter: ${unsupported}`);
    await expectF16VariantMatches('subgroup-matrix-f16', 500);
  });

  it('refuses the subgroup-matrix variant with a BackendError where the adapter lacks it', (ctx) => {
    if (matmulVariantUnsupported('subgroup-matrix-f16', webgpuFeatures()) === null) {
      ctx.skip('this adapter offers subgroup-matrix-f16, so there is nothing to refuse (its parity is tested above)');
    }
    const a = tf.ones([4, 4]);
    expect(() => matmul(a, a, { variant: 'subgroup-matrix-f16' })).toThrow(/subgroup-matrix-f16/);
    a.dispose();
  });

  it('consumes the output of queued tfjs ops and feeds later ones', async () => {
    const result = tf.tidy(() => {
      const a = tf.add(tf.reshape(tf.range(0, 12), [3, 4]), 1);
      const b = tf.transpose(tf.reshape(tf.range(0, 8), [2, 4]));
      return tf.mul(matmul(a, b), 2);
    });
    const a = Float32Array.from({ length: 12 }, (_, i) => i + 1);
    const bStored = Float32Array.from({ length: 8 }, (_, i) => i); // [2, 4], used transposed
    expectClose(
      await readFloat32(result, true),
      matmulReference(a, bStored, matmulDims([3, 4], [2, 4], false, true)).map((v) => 2 * v),
    );
  });
});
