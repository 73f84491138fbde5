/**
 * The single-dispatch flash backward run directly (runProgramOnTensors) on the float64 reference's
 * out and log-sum-exp, in both layouts ('heads' and packed qkv), with small odd tiles (so short
 * sequences cross many row blocks, tiles and partial last tiles) and with the tiles chosen for the
 * head sizes of the tiny (D = 32) and gpt2s (D = 64) benchmark shapes; grouped-query heads, padding,
 * key masks with queries that see no key, and packed segments.
 * Shape legend: B batch, H query heads, Hkv key/value heads, T time, D head size.
 * Tolerances: f32 kernel vs float64 reference, atol 5e-5, rtol 1e-3 (as attention.wgsl.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { describe, expect, it } from 'vitest';
import { checkCompiledPrograms, runProgramOnTensors, workgroupGrid } from '../runtime';
import { expectClose, forEachBackend, readFloat32 } from '../testing';
import { attentionScale, type AttentionMaskOptions, type AttentionShape } from './attention.reference';
import { attentionReferenceCase, packRows, rowsOf } from './testing/attention-case';
import { buildAttentionMask } from './attention.mask';
import { attentionFlashBackwardProgram, flashBackwardTiling, flashBackwardWorkgroupBytes, type FlashBackwardTiling } from './attention.flash-backward';

describe('flashBackwardTiling', () => {
  it.each([5, 16, 24, 32, 64, 128, 256])('D=%i fits 16 KiB of workgroup memory with at least one staged row', (headDim) => {
    const tiling = flashBackwardTiling(headDim);
    expect(flashBackwardWorkgroupBytes(tiling)).toBeLessThanOrEqual(16384);
    expect(tiling.tileBlock).toBeGreaterThanOrEqual(1);
    expect(tiling.rowsBlock).toBe(64);
  });

  it('stages 32 rows at D=64 with 32 KiB and 31 with 16 KiB', () => {
    expect(flashBackwardTiling(64, 32768).tileBlock).toBe(32);
    expect(flashBackwardTiling(64, 16384).tileBlock).toBe(31);
  });
});

interface BackwardCase {
  name: string;
  shape: AttentionShape;
  /** Tiles; the device's (flashBackwardTiling of its workgroup memory) when left out. */
  tiles?: Omit<FlashBackwardTiling, 'headDim'>;
  options?: AttentionMaskOptions;
}

const CASES: BackwardCase[] = [
  {
    name: 'T=37, D=24, GQA 6/2, rows 8, tile 5, padding',
    shape: { batch: 2, heads: 6, kvHeads: 2, time: 37, headDim: 24 },
    tiles: { rowsBlock: 8, tileBlock: 5 },
    options: { validLengths: [30, 37] },
  },
  {
    name: 'T=29, D=16, GQA 2/1, rows 4, tile 3, key mask (queries with no visible key) and segments',
    shape: { batch: 1, heads: 2, kvHeads: 1, time: 29, headDim: 16 },
    tiles: { rowsBlock: 4, tileBlock: 3 },
    options: {
      keyMask: Array.from({ length: 29 }, (_, j) => (j % 5 === 0 ? 0 : 1)),
      segmentIds: Array.from({ length: 29 }, (_, j) => (j < 11 ? 3 : j < 20 ? 1 : 7)),
    },
  },
  { name: 'T=2, D=5, rows 1, tile 1', shape: { batch: 1, heads: 1, kvHeads: 1, time: 2, headDim: 5 }, tiles: { rowsBlock: 1, tileBlock: 1 } },
  {
    name: 'tiny head size: T=45, D=32, H=4, device tiles, custom scale',
    shape: { batch: 2, heads: 4, kvHeads: 4, time: 45, headDim: 32 },
    options: { scale: 0.4, validLengths: [45, 33] },
  },
  { name: 'gpt2s head size: T=70, D=64, H=3, device tiles (two row blocks)', shape: { batch: 1, heads: 3, kvHeads: 3, time: 70, headDim: 64 } },
  { name: 'llama-style GQA: T=33, D=64, H=4/Hkv=1, device tiles', shape: { batch: 1, heads: 4, kvHeads: 1, time: 33, headDim: 64 } },
];

/** Returns the [2, B, T] mask tensor of the case's options. */
function maskOf({ batch, time }: AttentionShape, options: AttentionMaskOptions): tf.Tensor3D {
  return buildAttentionMask(batch, time, {
    ...(options.validLengths ? { validLengths: Array.from(options.validLengths) } : {}),
    ...(options.keyMask ? { keyMask: Array.from(options.keyMask) } : {}),
    ...(options.segmentIds ? { segmentIds: Array.from(options.segmentIds) } : {}),
  });
}

/** The heads-layout inputs of the flash backward for a reference case: q, k, v, out, dOut, logsumexp, mask. */
function headsLayoutInputs(
  shape: AttentionShape,
  {
    q,
    k,
    v,
    dOut,
    expected,
  }: { q: Float32Array; k: Float32Array; v: Float32Array; dOut: Float32Array; expected: { out: ArrayLike<number>; logSumExp: ArrayLike<number> } },
  options: AttentionMaskOptions,
): tf.Tensor[] {
  const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
  return [
    tf.tensor4d(q, [B, H, T, D]),
    tf.tensor4d(k, [B, Hkv, T, D]),
    tf.tensor4d(v, [B, Hkv, T, D]),
    tf.tensor4d(Float32Array.from(expected.out), [B, H, T, D]),
    tf.tensor4d(dOut, [B, H, T, D]),
    tf.tensor3d(Float32Array.from(expected.logSumExp), [B, H, T]),
    maskOf(shape, options),
  ];
}

await forEachBackend(['webgpu'], (context) => {
  describe.each(CASES)('$name', ({ shape, tiles, options = {} }) => {
    const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
    const dims = { ...shape, scale: attentionScale(D, options.scale) };
    const tilingOf = (): FlashBackwardTiling => {
      if (tiles) return { headDim: D, ...tiles };
      return flashBackwardTiling(D, (tf.backend() as WebGPUBackend).device.limits.maxComputeWorkgroupStorageSize);
    };

    it('heads layout: dq, dk, dv match the reference', async () => {
      const tiling = tilingOf();
      const { q, k, v, weights: dOut, expected, gradients } = attentionReferenceCase(shape, 5, options);
      const inputs = headsLayoutInputs(shape, { q, k, v, dOut, expected }, options);
      const program = attentionFlashBackwardProgram(dims, tiling);
      expect(program.dispatch[0] * program.dispatch[1] * program.dispatch[2]).toBeGreaterThanOrEqual(2 * Math.ceil(T / tiling.rowsBlock) * B * H);
      const [dq, dk, dv] = runProgramOnTensors(program, inputs);
      await expect(checkCompiledPrograms()).resolves.toBeUndefined();
      const label = `${context.backend} ${JSON.stringify(tiling)}`;
      expectClose(await readFloat32(dq!), gradients.dq, { atol: 5e-5, rtol: 1e-3, label: `${label} dq` });
      expectClose(await readFloat32(dk!), gradients.dk, { atol: 5e-5, rtol: 1e-3, label: `${label} dk` });
      expectClose(await readFloat32(dv!), gradients.dv, { atol: 5e-5, rtol: 1e-3, label: `${label} dv` });
      tf.dispose([...inputs, dq!, dk!, dv!]);
    });

    it('packed layout: the whole d(qkv) matches the reference, every element written', async () => {
      const tiling = tilingOf();
      const { q, k, v, weights: dOut, expected, gradients } = attentionReferenceCase(shape, 7, options);
      const qkv = tf.tensor2d(packRows(shape, q, k, v), [B * T, (H + 2 * Hkv) * D]);
      const others = [
        tf.tensor2d(rowsOf(expected.out, B, H, T, D), [B * T, H * D]),
        tf.tensor2d(rowsOf(dOut, B, H, T, D), [B * T, H * D]),
        tf.tensor3d(Float32Array.from(expected.logSumExp), [B, H, T]),
        maskOf(shape, options),
      ];
      // A pool buffer of NaNs freed just before: an element the kernel does not write would show as NaN.
      tf.dispose(tf.fill([B * T, (H + 2 * Hkv) * D], Number.NaN).add(0));
      const [dqkv] = runProgramOnTensors(attentionFlashBackwardProgram(dims, tiling, 'packed'), [qkv, qkv, qkv, ...others]);
      await expect(checkCompiledPrograms()).resolves.toBeUndefined();
      const want = packRows(shape, gradients.dq, gradients.dk, gradients.dv);
      expectClose(await readFloat32(dqkv!), want, { atol: 5e-5, rtol: 1e-3, label: `${context.backend} packed ${JSON.stringify(tiling)} d(qkv)` });
      tf.dispose([qkv, ...others, dqkv!]);
    });
  });

  it('gives the same gradients on a grid folded into x and y with a tail (as past 65,535 workgroups)', async () => {
    const { shape, tiles, options = {} } = CASES[0]!;
    const { headDim: D } = shape;
    const { q, k, v, weights: dOut, expected, gradients } = attentionReferenceCase(shape, 9, options);
    const inputs = headsLayoutInputs(shape, { q, k, v, dOut, expected }, options);
    const program = attentionFlashBackwardProgram({ ...shape, scale: attentionScale(D) }, { headDim: D, ...tiles! });
    const count = program.dispatch[0] * program.dispatch[1];
    // At most 7 workgroups in x: 2·5 blocks · 12 head rows = 120 workgroups become [7, 18], 6 of them past the end.
    const folded = { ...program, dispatch: workgroupGrid(count, 7) };
    expect(folded.dispatch[0] * folded.dispatch[1]).toBeGreaterThan(count);
    const [dq, dk, dv] = runProgramOnTensors(folded, inputs);
    const label = `${context.backend} folded grid [${folded.dispatch.join(', ')}]`;
    expectClose(await readFloat32(dq!), gradients.dq, { atol: 5e-5, rtol: 1e-3, label: `${label} dq` });
    expectClose(await readFloat32(dk!), gradients.dk, { atol: 5e-5, rtol: 1e-3, label: `${label} dk` });
    expectClose(await readFloat32(dv!), gradients.dv, { atol: 5e-5, rtol: 1e-3, label: `${label} dv` });
    tf.dispose([...inputs, dq!, dk!, dv!]);
  });
});
