/**
 * Parity of causalAttentionPacked (qkv [B·T, (H + 2·Hkv)·D] read in place; out [B·T, H·D]) with the
 * float64 reference on cpu, wasm and webgpu: forward output and the gradient of qkv, on odd shapes
 * (GQA, odd D, T not a multiple of a tile, padding, packed segments, a prebuilt shared mask), and its
 * dispatch count on webgpu (no split, no transposes around the kernels).
 * Shape legend: B batch, H query heads, Hkv key/value heads, T time, D head size.
 * Tolerances as in attention.op.test.ts: forward atol 2e-5, rtol 1e-4; gradient atol 1e-5·sqrt(T), rtol 1e-3.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { checkCompiledPrograms, dispatchCounts, dispatchCountsBetween, installDispatchCounter } from '../runtime';
import { expectClose, expectNoTensorLeak, forEachBackend, readFloat32 } from '../testing';
import type { AttentionMaskOptions, AttentionShape } from './attention.reference';
import { attentionReferenceCase, packRows, rowsOf } from './testing/attention-case';
import { buildAttentionMask } from './attention.mask';
import { causalAttentionPacked, causalAttentionPackedOp, setAttentionBackwardPasses } from './attention.op';

interface PackedCase {
  name: string;
  shape: AttentionShape;
  options?: AttentionMaskOptions;
  sharedMask?: boolean;
}

const CASES: PackedCase[] = [
  { name: 'T=13, D=8, H=Hkv=3 (GPT-2 layout)', shape: { batch: 2, heads: 3, kvHeads: 3, time: 13, headDim: 8 } },
  { name: 'T=37, odd D=5, GQA H=4/Hkv=2, padding', shape: { batch: 2, heads: 4, kvHeads: 2, time: 37, headDim: 5 }, options: { validLengths: [37, 20] } },
  {
    name: 'T=70, D=16, packed segments, key mask, shared prebuilt mask',
    shape: { batch: 1, heads: 2, kvHeads: 2, time: 70, headDim: 16 },
    options: { segmentIds: Array.from({ length: 70 }, (_, t) => Math.floor(t / 25)), keyMask: Array.from({ length: 70 }, (_, t) => (t % 9 === 4 ? 0 : 1)) },
    sharedMask: true,
  },
];

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  describe.each(CASES)('$name', ({ shape, options = {}, sharedMask }) => {
    it('matches the reference: out and d(qkv)', async () => {
      const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
      const data = attentionReferenceCase(shape, 11 * T + D, options);
      const maskInputs = {
        ...(options.validLengths ? { validLengths: Array.from(options.validLengths) } : {}),
        ...(options.keyMask ? { keyMask: Array.from(options.keyMask) } : {}),
        ...(options.segmentIds ? { segmentIds: Array.from(options.segmentIds) } : {}),
      };
      await expectNoTensorLeak(async () => {
        const mask = sharedMask ? buildAttentionMask(B, T, maskInputs) : undefined;
        const opOptions = { heads: H, kvHeads: Hkv, ...(mask ? { mask } : maskInputs) };
        const qkv = tf.tensor2d(packRows(shape, data.q, data.k, data.v), [B * T, (H + 2 * Hkv) * D]);
        const weights = tf.tensor2d(rowsOf(data.weights, B, H, T, D), [B * T, H * D]);
        const out = causalAttentionPacked(qkv, B, T, opOptions);
        if (context.backend === 'webgpu') await checkCompiledPrograms();
        expect(out.shape).toEqual([B * T, H * D]);
        expectClose(await readFloat32(out, true), rowsOf(data.expected.out, B, H, T, D), { atol: 2e-5, rtol: 1e-4, label: `${context.backend} out` });
        const dqkv = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(causalAttentionPacked(x as tf.Tensor2D, B, T, opOptions), weights)))(qkv);
        const expected = packRows(shape, data.gradients.dq, data.gradients.dk, data.gradients.dv);
        expectClose(await readFloat32(dqkv, true), expected, { atol: 1e-5 * Math.sqrt(T), rtol: 1e-3, label: `${context.backend} d(qkv)` });
        tf.dispose([qkv, weights, ...(mask ? [mask] : [])]);
      }, `${context.backend} packed attention`);
    });
  });

  it('runs forward and backward in 1 + 1 dispatches of ours on webgpu (1 + 3 with the split backward), no concat and none for the mask gradient', async (ctx) => {
    if (context.backend !== 'webgpu') ctx.skip('counts GPU dispatches');
    // Without the counter only ours are counted (stock would read as -ours).
    expect(installDispatchCounter()).toBe(true);
    const [B, T, H, D] = [2, 9, 2, 4];
    const qkv = tf.randomNormal([B * T, 3 * H * D], 0, 1, 'float32', 3) as tf.Tensor2D;
    const mask = buildAttentionMask(B, T);
    const loss = (x: tf.Tensor) => tf.sum(causalAttentionPacked(x as tf.Tensor2D, B, T, { heads: H, mask }));
    const countStep = () => {
      tf.dispose(tf.grad(loss)(qkv)); // compile first
      const before = dispatchCounts();
      tf.dispose(tf.grad(loss)(qkv));
      return dispatchCountsBetween(before, dispatchCounts());
    };
    expect(causalAttentionPackedOp.usesKernel()).toBe(true);
    const flash = countStep();
    expect(flash.ours).toBe(2);
    // The rest: the Sum of the loss and its gradient's fill/broadcast (no concat of dq, dk, dv).
    expect(flash.stock).toBeLessThanOrEqual(3);
    const previous = setAttentionBackwardPasses('split');
    try {
      const split = countStep();
      expect(split.ours).toBe(4);
      expect(split.stock).toBe(flash.stock);
    } finally {
      setAttentionBackwardPasses(previous);
    }
    tf.dispose([qkv, mask]);
  });
});

describe('causalAttentionPacked input checks', () => {
  it('throws ShapeError for widths that are not (H + 2·Hkv)·D, row counts other than B·T and masks of the wrong shape', () => {
    const qkv = tf.zeros([6, 24]) as tf.Tensor2D;
    expect(() => causalAttentionPacked(qkv, 2, 3, { heads: 5 })).toThrow(ShapeError);
    expect(() => causalAttentionPacked(qkv, 2, 4, { heads: 2 })).toThrow(/B·T = 8/);
    expect(() => causalAttentionPacked(qkv, 2, 3, { heads: 3, kvHeads: 2 })).toThrow(/multiple of Hkv/);
    const wrongMask = buildAttentionMask(1, 3);
    expect(() => causalAttentionPacked(qkv, 2, 3, { heads: 2, mask: wrongMask })).toThrow(/mask must be int32 \[2, 2, 3\]/);
    tf.dispose([qkv, wrongMask]);
  });
});
