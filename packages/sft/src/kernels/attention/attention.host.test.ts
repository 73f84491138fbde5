/**
 * The host attention's packed entry (GPT-2's qkv [B·T, 3C] in, [B·T, C] out) against the float64
 * reference on cpu and wasm: output and the gradient of qkv, with padding, packed segments and a
 * fully masked row. (The [B, H, T, D] entry is covered by attention.op.test.ts, whose fallback it is
 * on these backends.) Shape legend: B batch, H heads, T time, D head size, C = H·D.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoTensorLeak, forEachBackend, readFloat32 } from '../testing';
import { buildAttentionMask } from './attention.mask';
import { hostAttentionPacked } from './attention.host';
import type { AttentionMaskOptions, AttentionShape } from './attention.reference';
import { attentionReferenceCase } from './testing/attention-case';

/** Returns x [B, H, T, D] laid out as [B·T, H·D] (heads side by side), the packed projection's layout. */
function headsToRows(x: ArrayLike<number>, B: number, H: number, T: number, D: number): Float64Array {
  const rows = new Float64Array(B * T * H * D);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < D; d++) rows[(b * T + t) * H * D + h * D + d] = x[((b * H + h) * T + t) * D + d]!;
      }
    }
  }
  return rows;
}

/** Returns q, k, v given as [B·T, C] each, packed side by side into [B·T, 3C]. */
function pack(parts: Float64Array[], rows: number, channels: number): Float32Array {
  const packed = new Float32Array(rows * 3 * channels);
  for (let row = 0; row < rows; row++) {
    parts.forEach((part, block) => packed.set(part.subarray(row * channels, (row + 1) * channels), row * 3 * channels + block * channels));
  }
  return packed;
}

await forEachBackend(['cpu', 'wasm'], (context) => {
  describe('hostAttentionPacked', () => {
    it('matches the reference: output and d(qkv), with padding, segments and a fully masked row', async () => {
      const shape: AttentionShape = { batch: 2, heads: 3, kvHeads: 3, time: 21, headDim: 8 };
      const { batch: B, heads: H, time: T, headDim: D } = shape;
      const C = H * D;
      const keyMask = Array.from({ length: B * T }, (_, index) => (index === T || index % 5 === 3 ? 0 : 1));
      const segmentIds = Array.from({ length: B * T }, (_, index) => (index % T < 9 ? 0 : 1));
      const options: AttentionMaskOptions = { keyMask, segmentIds };
      const { q, k, v, weights, expected, gradients } = attentionReferenceCase(shape, 11, options);
      const packed = pack([headsToRows(q, B, H, T, D), headsToRows(k, B, H, T, D), headsToRows(v, B, H, T, D)], B * T, C);
      const expectedPackedGradient = pack(
        [headsToRows(gradients.dq, B, H, T, D), headsToRows(gradients.dk, B, H, T, D), headsToRows(gradients.dv, B, H, T, D)],
        B * T,
        C,
      );

      await expectNoTensorLeak(async () => {
        const qkv = tf.tensor2d(packed, [B * T, 3 * C]);
        const mask = buildAttentionMask(B, T, { keyMask, segmentIds });
        const weightTensor = tf.tensor2d(Float32Array.from(headsToRows(weights, B, H, T, D)), [B * T, C]);
        const out = hostAttentionPacked(qkv, mask, H, 1 / Math.sqrt(D));
        expect(out.shape).toEqual([B * T, C]);
        expectClose(await readFloat32(out, true), headsToRows(expected.out, B, H, T, D), { atol: 2e-5, rtol: 1e-4, label: `${context.backend} out` });
        const [dqkv] = tf.grads((x: tf.Tensor) => tf.sum(tf.mul(hostAttentionPacked(x as tf.Tensor2D, mask, H, 1 / Math.sqrt(D)), weightTensor)))([qkv]);
        expectClose(await readFloat32(dqkv!, true), expectedPackedGradient, { atol: 1e-5 * Math.sqrt(T), rtol: 1e-3, label: `${context.backend} dqkv` });
        tf.dispose([qkv, mask, weightTensor]);
      }, `${context.backend} packed attention`);
    });
  });
});
