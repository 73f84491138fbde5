/** The host-built attention mask equals the one built with tfjs ops (and fails loudly on bad sizes). */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '@steerlm/core';
import { attentionMaskFromArrays, buildAttentionMask } from './attention.mask';

describe('attentionMaskFromArrays', () => {
  it('equals buildAttentionMask for padding and packed segments (odd B·T)', async () => {
    const [B, T] = [3, 7];
    const keyMask = Array.from({ length: B * T }, (_, index) => (index % 5 === 3 ? 0 : index % 2 === 0 ? 1 : 0.5));
    const segmentIds = Array.from({ length: B * T }, (_, index) => Math.floor((index % T) / 3) + 10 * Math.floor(index / T));
    for (const [keys, segments] of [
      [keyMask, segmentIds],
      [keyMask, undefined],
      [undefined, undefined],
    ] as const) {
      const host = attentionMaskFromArrays(B, T, keys, segments);
      const composed = buildAttentionMask(B, T, { ...(keys ? { keyMask: keys } : {}), ...(segments ? { segmentIds: segments } : {}) });
      expect(host.dtype).toBe('int32');
      expect(host.shape).toEqual([2, B, T]);
      expect(Array.from(await host.data())).toEqual(Array.from(await composed.data()));
      tf.dispose([host, composed]);
    }
  });

  it('throws ShapeError naming the field whose length is not B·T', () => {
    expect(() => attentionMaskFromArrays(2, 3, [1, 1, 1])).toThrow(ShapeError);
    expect(() => attentionMaskFromArrays(2, 3, undefined, [0, 0])).toThrow(/segmentIds has 2 entries, expected 6/);
  });
});
