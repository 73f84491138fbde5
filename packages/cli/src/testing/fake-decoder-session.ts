/**
 * A fake onnxruntime-web session of an exported decoder (exportOnnx's graph: logits [B, T, V], no
 * logits_index), for tests of the in-page decode without a browser: its cache outputs come back on the
 * CPU or as (fake) WebGPU buffers, greedy decoding picks token (position + 1) mod V, and it records every
 * run and every GPU buffer freed.
 */
import * as ortWeb from 'onnxruntime-web';
import { expect } from 'vitest';
import type { OrtSession } from '@steerlm/sft/browser';

type Tensor = ortWeb.Tensor;

/** The cache layout and vocabulary of a fake decoder. */
export interface FakeGeometry {
  readonly layers: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly vocab: number;
}

/** One recorded run: its feeds and the cache outputs it returned. */
export interface FakeRun {
  readonly feeds: Record<string, Tensor>;
  readonly presents: Record<string, Tensor>;
  /** How many GPU cache outputs of earlier runs had been freed when this run was called. */
  readonly freedBefore: number;
}

/** The cache tensor suffixes of a `layers`-layer export (`0.key`, …, `{layers-1}.value`). */
export function cacheNames(layers: number): string[] {
  return ['key', 'value'].flatMap((part) => Array.from({ length: layers }, (_, layer) => `${layer}.${part}`));
}

/** Returns a fake session of `geometry` whose `present.*` outputs live in `location`, with its run and free records. */
export function fakeDecoderSession(geometry: FakeGeometry, location: 'gpu-buffer' | 'cpu') {
  const runs: FakeRun[] = [];
  const freed: Tensor[] = [];
  const { kvHeads: H, headDim: D, vocab: V } = geometry;
  const cache = cacheNames(geometry.layers);
  const session = {
    inputNames: ['input_ids', 'attention_mask', 'position_ids', ...cache.map((name) => `past_key_values.${name}`)],
    outputNames: ['logits', ...cache.map((name) => `present.${name}`)],
    inputMetadata: [{ name: 'past_key_values.0.key', isTensor: true, type: 'float32', shape: ['batch', H, 'past', D] }],
    outputMetadata: [{ name: 'logits', isTensor: true, type: 'float32', shape: ['batch', 'sequence', V] }],
    released: 0,
    release() {
      session.released++;
      return Promise.resolve();
    },
    run(feeds: Record<string, Tensor>) {
      const [B, T] = feeds.input_ids!.dims as [number, number];
      const keys = feeds.attention_mask!.dims[1]!;
      // The cache fed has one slot fewer than the mask per new token, as the graph expects.
      expect(feeds['past_key_values.0.key']!.dims[2]! + T).toBe(keys);
      const positions = feeds.position_ids!.data as BigInt64Array;
      const logits = new Float32Array(B * T * V);
      for (let index = 0; index < B * T; index++) logits[index * V + ((Number(positions[index]) + 1) % V)] = 1;
      const presents: Record<string, Tensor> = {};
      for (const name of cache) {
        const dims = [B, H, keys, D];
        presents[`present.${name}`] =
          location === 'gpu-buffer'
            ? ortWeb.Tensor.fromGpuBuffer({ size: B * H * keys * D * 4 } as unknown as GPUBuffer, {
                dataType: 'float32',
                dims,
                dispose: () => freed.push(presents[`present.${name}`]!),
              })
            : new ortWeb.Tensor('float32', new Float32Array(B * H * keys * D), dims);
      }
      runs.push({ feeds, presents, freedBefore: freed.length });
      return Promise.resolve({ logits: new ortWeb.Tensor('float32', logits, [B, T, V]), ...presents });
    },
  };
  return { session: session as unknown as OrtSession & { released: number }, runs, freed };
}
