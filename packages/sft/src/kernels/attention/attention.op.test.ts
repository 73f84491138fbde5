/**
 * Parity of causalAttention with the float64 reference on cpu, wasm and webgpu: forward output and
 * the gradients of q, k and v, on odd and edge shapes (T = 1, T not a multiple of any tile, long T,
 * grouped-query heads, odd D, padding, key masks with fully masked rows, packed segments).
 * Shape legend: B batch, H query heads, Hkv key/value heads, T time, D head size.
 *
 * Tolerances (float32 kernels vs float64 reference, |a - e| <= atol + rtol |e|): forward
 * atol 2e-5, rtol 1e-4; gradients atol 1e-5·sqrt(T), rtol 1e-3 (their sums run over up to T keys,
 * or T queries times the group size for dk/dv).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { checkCompiledPrograms } from '../runtime';
import { expectClose, expectNoTensorLeak, forEachBackend, readFloat32 } from '../testing';
import { attentionBackwardReference, attentionForwardReference, type AttentionMaskOptions, type AttentionShape } from './attention.reference';
import { attentionInputs, attentionReferenceCase } from './testing/attention-case';
import { buildAttentionMask } from './attention.mask';
import { causalAttention, causalAttentionOp, type CausalAttentionOptions } from './attention.op';

interface ParityCase {
  name: string;
  shape: AttentionShape;
  options?: AttentionMaskOptions;
}

const keyMaskEvery7 = (batch: number, time: number): number[] => Array.from({ length: batch * time }, (_, index) => (index % 7 === 0 ? 0 : 1));
const segmentsOf = (batch: number, time: number, length: number): number[] =>
  Array.from({ length: batch * time }, (_, index) => Math.floor((index % time) / length) + (index >= time ? 10 : 0));

const CASES: ParityCase[] = [
  { name: 'T=1, D=16', shape: { batch: 1, heads: 2, kvHeads: 1, time: 1, headDim: 16 } },
  { name: 'T=37, odd D=24, GQA H=6/Hkv=2, padding', shape: { batch: 2, heads: 6, kvHeads: 2, time: 37, headDim: 24 }, options: { validLengths: [37, 20] } },
  {
    name: 'T=70, D=32, key mask with fully masked rows, packed segments, custom scale',
    shape: { batch: 2, heads: 2, kvHeads: 2, time: 70, headDim: 32 },
    options: { keyMask: keyMaskEvery7(2, 70), segmentIds: segmentsOf(2, 70, 25), scale: 0.3 },
  },
  {
    name: 'T=64 (exactly one query tile), D=32, large logits (scale 20)',
    shape: { batch: 1, heads: 1, kvHeads: 1, time: 64, headDim: 32 },
    options: { scale: 20 },
  },
  { name: 'long T=300, D=16', shape: { batch: 1, heads: 1, kvHeads: 1, time: 300, headDim: 16 } },
  { name: 'T=33, D=64, H=4/Hkv=1', shape: { batch: 1, heads: 4, kvHeads: 1, time: 33, headDim: 64 } },
  { name: 'T=20, D=128', shape: { batch: 1, heads: 2, kvHeads: 2, time: 20, headDim: 128 }, options: { validLengths: [13] } },
];

function toOpOptions(options: AttentionMaskOptions = {}): CausalAttentionOptions {
  const result: CausalAttentionOptions = {};
  if (options.validLengths !== undefined) result.validLengths = Array.from(options.validLengths);
  if (options.keyMask !== undefined) result.keyMask = Array.from(options.keyMask);
  if (options.segmentIds !== undefined) result.segmentIds = Array.from(options.segmentIds);
  if (options.scale !== undefined) result.scale = options.scale;
  return result;
}

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  describe.each(CASES)('$name', ({ shape, options }) => {
    it('matches the reference: out, dq, dk, dv', async () => {
      const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
      const data = attentionReferenceCase(shape, 7 * T + D, options);
      const { expected, gradients } = data;
      const opOptions = toOpOptions(options);

      await expectNoTensorLeak(async () => {
        const q = tf.tensor4d(data.q, [B, H, T, D]);
        const k = tf.tensor4d(data.k, [B, Hkv, T, D]);
        const v = tf.tensor4d(data.v, [B, Hkv, T, D]);
        const weights = tf.tensor4d(data.weights, [B, H, T, D]);
        const out = causalAttention(q, k, v, opOptions);
        if (context.backend === 'webgpu') await checkCompiledPrograms();
        expect(out.shape).toEqual([B, H, T, D]);
        expectClose(await readFloat32(out, true), expected.out, { atol: 2e-5, rtol: 1e-4, label: `${context.backend} out`, shape: [B, H, T, D] });

        const loss = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(causalAttention(x as tf.Tensor4D, y as tf.Tensor4D, z as tf.Tensor4D, opOptions), weights));
        const [dq, dk, dv] = tf.grads(loss)([q, k, v]) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const tolerance = { atol: 1e-5 * Math.sqrt(T), rtol: 1e-3 };
        expectClose(await readFloat32(dq, true), gradients.dq, { ...tolerance, label: `${context.backend} dq`, shape: [B, H, T, D] });
        expectClose(await readFloat32(dk, true), gradients.dk, { ...tolerance, label: `${context.backend} dk`, shape: [B, Hkv, T, D] });
        expectClose(await readFloat32(dv, true), gradients.dv, { ...tolerance, label: `${context.backend} dv`, shape: [B, Hkv, T, D] });
        tf.dispose([q, k, v, weights]);
      }, `${context.backend} attention`);
    });
  });

  it('takes q, k, v produced by other tfjs ops ([B, T, H·D] projections) and differentiates through them', async () => {
    const shape: AttentionShape = { batch: 2, heads: 4, kvHeads: 2, time: 19, headDim: 8 };
    const { batch: B, heads: H, kvHeads: Hkv, time: T, headDim: D } = shape;
    const data = attentionInputs(shape, 99);
    const toHeads = (x: tf.Tensor, heads: number): tf.Tensor4D => tf.transpose(tf.reshape(x, [B, T, heads, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    const fromHeads = (values: Float32Array, heads: number): tf.Tensor =>
      tf.tidy(() => tf.reshape(tf.transpose(tf.tensor4d(values, [B, heads, T, D]), [0, 2, 1, 3]), [B, T, heads * D]));
    const qFlat = fromHeads(data.q, H);
    const kFlat = fromHeads(data.k, Hkv);
    const vFlat = fromHeads(data.v, Hkv);
    const weights = tf.tensor4d(data.weights, [B, H, T, D]);
    const options = { segmentIds: [[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2], new Array<number>(T).fill(4)] };
    const referenceOptions: AttentionMaskOptions = { segmentIds: options.segmentIds.flat() };
    const loss = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(causalAttention(toHeads(tf.mul(x, 2), H), toHeads(y, Hkv), toHeads(z, Hkv), options), weights));
    const [dqFlat] = tf.grads(loss)([qFlat, kFlat, vFlat]) as [tf.Tensor];
    const doubled = data.q.map((value) => value * 2);
    const expected = attentionForwardReference(doubled, data.k, data.v, shape, referenceOptions);
    const gradients = attentionBackwardReference(doubled, data.k, data.v, expected.out, expected.logSumExp, data.weights, shape, referenceOptions);
    const dq = tf.tidy(() => tf.transpose(tf.reshape(tf.mul(dqFlat, 0.5), [B, T, H, D]), [0, 2, 1, 3]));
    expectClose(await readFloat32(dq, true), gradients.dq, { atol: 5e-5, rtol: 1e-3, label: `${context.backend} dq through projections` });
    tf.dispose([qFlat, kFlat, vFlat, weights, dqFlat]);
  });

  it('saves the log-sum-exp on webgpu (one more output of the fused kernel)', async () => {
    const shape: AttentionShape = { batch: 1, heads: 2, kvHeads: 1, time: 45, headDim: 24 };
    const options: AttentionMaskOptions = { keyMask: keyMaskEvery7(1, 45) };
    const data = attentionInputs(shape, 5);
    const expected = attentionForwardReference(data.q, data.k, data.v, shape, options);
    const q = tf.tensor4d(data.q, [1, 2, 45, 24]);
    const k = tf.tensor4d(data.k, [1, 1, 45, 24]);
    const v = tf.tensor4d(data.v, [1, 1, 45, 24]);
    const mask = buildAttentionMask(1, 45, { keyMask: Array.from(options.keyMask!) });
    const outputs = causalAttentionOp([q, k, v, mask], { scale: 1 / Math.sqrt(24) });
    expect(outputs.length).toBe(causalAttentionOp.usesKernel() ? 2 : 1);
    expect(causalAttentionOp.usesKernel()).toBe(context.backend === 'webgpu');
    if (outputs.length === 2) {
      const logSumExp = await readFloat32(outputs[1]!);
      expect(logSumExp[0]).toBe(-Infinity);
      expectClose(logSumExp, expected.logSumExp, { atol: 2e-5, rtol: 1e-5, label: 'logSumExp' });
    }
    tf.dispose([q, k, v, mask, ...outputs]);
  });
});

describe('causalAttention input checks', () => {
  it('throws ShapeError for bad ranks, dtypes, head counts and option sizes', () => {
    const q = tf.zeros([1, 3, 4, 8]) as tf.Tensor4D;
    const k = tf.zeros([1, 2, 4, 8]) as tf.Tensor4D;
    const kGood = tf.zeros([1, 1, 4, 8]) as tf.Tensor4D;
    expect(() => causalAttention(q, k, k)).toThrow(ShapeError);
    expect(() => causalAttention(q, k, k)).toThrow(/not a multiple/);
    expect(() => causalAttention(tf.zeros([3, 4, 8]) as unknown as tf.Tensor4D, kGood, kGood)).toThrow(/rank 4/);
    expect(() => causalAttention(q, kGood, tf.zeros([1, 1, 5, 8]) as tf.Tensor4D)).toThrow(/same shape/);
    expect(() => causalAttention(tf.cast(q, 'int32') as tf.Tensor4D, kGood, kGood)).toThrow(/float32/);
    expect(() => causalAttention(q, kGood, kGood, { validLengths: [4, 4] })).toThrow(/validLengths has 2 entries/);
    expect(() => causalAttention(q, kGood, kGood, { segmentIds: tf.zeros([1, 5], 'int32') })).toThrow(/segmentIds has shape \[1, 5\]/);
    tf.dispose([q, k, kGood]);
  });
});
