/**
 * The four WGSL passes run directly (runProgramOnTensors) with small, odd tile sizes, so that
 * short sequences still cross many query tiles, key tiles and partial last tiles; compared with the
 * float64 reference. Also checks the tile sizes chosen for each head size fit workgroup memory.
 * Shape legend: B batch, H query heads, Hkv key/value heads, T time, D head size.
 * Tolerances: f32 kernels vs float64 reference, atol 2e-5 (forward) / 5e-5 (gradients), rtol 1e-3.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkCompiledPrograms, runProgramOnTensors } from '../runtime';
import { expectClose, forEachBackend, readFloat32 } from '../testing';
import { attentionScale, type AttentionMaskOptions, type AttentionShape } from './attention.reference';
import { attentionReferenceCase } from './testing/attention-case';
import { buildAttentionMask } from './attention.mask';
import {
  attentionBackwardKeyValueProgram,
  attentionBackwardQueryProgram,
  attentionForwardProgram,
  attentionRowStatsProgram,
  attentionTiling,
  type AttentionTiling,
} from './attention.wgsl';

describe('attentionTiling', () => {
  it.each([16, 24, 32, 64, 128, 256])('D=%i fits 16 KiB of workgroup memory', (headDim) => {
    const tiling = attentionTiling(headDim);
    expect(tiling.keyBlock * (2 * headDim + 2) * 4).toBeLessThanOrEqual(16384);
    expect(tiling.queryTileBlock * (2 * headDim + 3) * 4).toBeLessThanOrEqual(16384);
    expect(tiling.keyBlock).toBeGreaterThanOrEqual(1);
  });
});

interface TileCase {
  name: string;
  shape: AttentionShape;
  tiling: Omit<AttentionTiling, 'headDim'>;
  options?: AttentionMaskOptions;
}

const TILE_CASES: TileCase[] = [
  {
    name: 'T=37, D=24, GQA 6/2, tiles q8 k5 kr7 qt3, padding',
    shape: { batch: 2, heads: 6, kvHeads: 2, time: 37, headDim: 24 },
    tiling: { queryBlock: 8, keyBlock: 5, keyRowsBlock: 7, queryTileBlock: 3 },
    options: { validLengths: [30, 37] },
  },
  {
    name: 'T=29, D=16, tiles q4 k3 kr5 qt6, key mask and segments',
    shape: { batch: 1, heads: 2, kvHeads: 1, time: 29, headDim: 16 },
    tiling: { queryBlock: 4, keyBlock: 3, keyRowsBlock: 5, queryTileBlock: 6 },
    options: {
      keyMask: Array.from({ length: 29 }, (_, j) => (j % 5 === 0 ? 0 : 1)),
      segmentIds: Array.from({ length: 29 }, (_, j) => (j < 11 ? 3 : j < 20 ? 1 : 7)),
    },
  },
  {
    name: 'T=2, D=5, tiles q1 k1 kr1 qt1',
    shape: { batch: 1, heads: 1, kvHeads: 1, time: 2, headDim: 5 },
    tiling: { queryBlock: 1, keyBlock: 1, keyRowsBlock: 1, queryTileBlock: 1 },
  },
];

await forEachBackend(['webgpu'], (context) => {
  it.each(TILE_CASES)('$name: every pass matches the reference', async ({ shape, tiling: tiles, options = {} }) => {
    const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
    const tiling: AttentionTiling = { headDim: D, ...tiles };
    const dims = { ...shape, scale: attentionScale(D, options.scale) };
    const { q: qValues, k: kValues, v: vValues, weights: dOutValues, expected, gradients } = attentionReferenceCase(shape, 3, options);

    const q = tf.tensor4d(qValues, [B, H, T, D]);
    const k = tf.tensor4d(kValues, [B, Hkv, T, D]);
    const v = tf.tensor4d(vValues, [B, Hkv, T, D]);
    const dOut = tf.tensor4d(dOutValues, [B, H, T, D]);
    const mask = buildAttentionMask(B, T, {
      ...(options.validLengths ? { validLengths: Array.from(options.validLengths) } : {}),
      ...(options.keyMask ? { keyMask: Array.from(options.keyMask) } : {}),
      ...(options.segmentIds ? { segmentIds: Array.from(options.segmentIds) } : {}),
    });
    const [out, logSumExp] = runProgramOnTensors(attentionForwardProgram(dims, tiling), [q, k, v, mask]) as [tf.Tensor, tf.Tensor];
    const [rowStats] = runProgramOnTensors(attentionRowStatsProgram(dims, tiling), [out, dOut, logSumExp]) as [tf.Tensor];
    const [dq] = runProgramOnTensors(attentionBackwardQueryProgram(dims, tiling), [q, k, v, dOut, rowStats, mask]) as [tf.Tensor];
    const [dk, dv] = runProgramOnTensors(attentionBackwardKeyValueProgram(dims, tiling), [q, k, v, dOut, rowStats, mask]) as [tf.Tensor, tf.Tensor];

    await expect(checkCompiledPrograms()).resolves.toBeUndefined();
    const label = `${context.backend} tiles ${JSON.stringify(tiles)}`;
    expectClose(await readFloat32(out), expected.out, { atol: 2e-5, rtol: 1e-3, label: `${label} out` });
    expectClose(await readFloat32(logSumExp), expected.logSumExp, { atol: 2e-5, rtol: 1e-5, label: `${label} logSumExp` });
    const delta = (await readFloat32(rowStats)).subarray(B * H * T);
    const expectedDelta = Float64Array.from({ length: B * H * T }, (_, row) => {
      let sum = 0;
      for (let d = 0; d < D; d++) sum += dOutValues[row * D + d]! * expected.out[row * D + d]!;
      return sum;
    });
    expectClose(delta, expectedDelta, { atol: 2e-5, rtol: 1e-3, label: `${label} delta` });
    expectClose(await readFloat32(dq), gradients.dq, { atol: 5e-5, rtol: 1e-3, label: `${label} dq` });
    expectClose(await readFloat32(dk), gradients.dk, { atol: 5e-5, rtol: 1e-3, label: `${label} dk` });
    expectClose(await readFloat32(dv), gradients.dv, { atol: 5e-5, rtol: 1e-3, label: `${label} dv` });
    tf.dispose([q, k, v, dOut, mask, out, logSumExp, rowStats, dq, dk, dv]);
  });
});
