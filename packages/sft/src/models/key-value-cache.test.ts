import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyValueCache } from './key-value-cache';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A one-layer cache of `rows` rows and `length` slots whose key at (row, slot) is 100·row + slot + base. */
function cache(rows: number, length: number, base: number, mask: number[][]): KeyValueCache {
  const result = new KeyValueCache();
  const data = Array.from({ length: rows * length }, (_, index) => 100 * Math.floor(index / length) + (index % length) + base);
  result.append(0, tf.tensor4d(data, [rows, 1, length, 1]), tf.tensor4d(data, [rows, 1, length, 1]));
  result.appendMask(tf.tensor2d(mask, [rows, length]));
  result.nextPositions = Array.from({ length: rows }, (_, row) => base + row);
  return result;
}

describe('KeyValueCache rows (continuous batching)', () => {
  it('appends the rows of a shorter cache padded in front with masked slots, keeps rows, and compacts unused slots', async () => {
    const running = cache(2, 3, 0, [
      [1, 1, 1],
      [0, 1, 1],
    ]);
    running.appendRows(cache(1, 1, 50, [[1]]));
    expect(running.rows).toBe(3);
    expect(running.length).toBe(3);
    expect(running.nextPositions).toEqual([0, 1, 50]);
    expect(running.layers[0]!.keys.reshape([3, 3]).arraySync()).toEqual([
      [0, 1, 2],
      [100, 101, 102],
      [0, 0, 50],
    ]);
    expect(running.keyMask!.arraySync()).toEqual([
      [1, 1, 1],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    // The first row leaves: slot 0 is now unused by every row.
    running.selectRows([1, 2]);
    expect(running.nextPositions).toEqual([1, 50]);
    expect(await running.compact()).toBe(1);
    expect(running.layers[0]!.values.reshape([2, 2]).arraySync()).toEqual([
      [101, 102],
      [0, 50],
    ]);
    expect(running.keyMask!.arraySync()).toEqual([
      [1, 1],
      [0, 1],
    ]);
    running.selectRows([]);
    expect([running.rows, running.layers.length]).toEqual([0, 0]);
    running.dispose();
  });
});
