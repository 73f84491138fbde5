/**
 * The in-page decode's cache handoff on a fake onnxruntime-web session (no browser): with `present.*`
 * returned as GPU buffers, each step is fed the previous step's GPU tensors themselves, the ones it replaces
 * are disposed as soon as the step has run, nothing is alive once the decode ends, and only the logits come
 * back to the CPU. recordTransfers reports exactly that (and a CPU cache as `cpu`).
 */
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { generateTokens, OnnxruntimeDecodeSession, type OrtModule, type OrtSession } from '@steerlm/sft/browser';
import { cacheNames, fakeDecoderSession } from '../../testing/fake-decoder-session';
import { recordTransfers } from './decode-transfers';

const ort = ortWeb as unknown as OrtModule;

const GEOMETRY = { layers: 2, kvHeads: 2, headDim: 4, vocab: 7 };
const CACHE = cacheNames(GEOMETRY.layers);
const fakeSession = (location: 'gpu-buffer' | 'cpu') => fakeDecoderSession(GEOMETRY, location);

async function decode(session: OrtSession, prompts: number[][], maxTokens: number): Promise<number[][]> {
  const tokens: number[][] = prompts.map(() => []);
  const decodeSession = new OnnxruntimeDecodeSession(ort, session, { geometry: GEOMETRY, maxPositions: 64 });
  for await (const step of generateTokens(decodeSession, prompts, { maxTokens, temperature: 0 })) {
    step.tokens.forEach((token, row) => token !== undefined && tokens[row]!.push(token));
  }
  return tokens;
}

describe('the in-page decode cache handoff', () => {
  it('feeds each step the previous step’s GPU cache tensors, frees the ones replaced, and reads back only the logits', async () => {
    const fake = fakeSession('gpu-buffer');
    const recorded = recordTransfers(fake.session);
    const prompts = [
      [1, 2, 3],
      [4, 5],
    ];
    const tokens = await decode(recorded.session, prompts, 4);
    // Greedy over the fake logits: position + 1, each row from its own length.
    expect(tokens).toEqual([
      [3, 4, 5, 6],
      [2, 3, 4, 5],
    ]);
    const { runs, freed } = fake;
    expect(runs).toHaveLength(4);
    for (let index = 1; index < runs.length; index++) {
      for (const name of CACHE) expect(runs[index]!.feeds[`past_key_values.${name}`]).toBe(runs[index - 1]!.presents[`present.${name}`]);
      // When step `index` runs, the cache of the runs before the previous one is freed (and the previous one is in use).
      expect(runs[index]!.freedBefore).toBe((index - 1) * CACHE.length);
    }
    // Each GPU tensor is freed once; the last step's cache when the decode ends.
    expect(freed).toHaveLength(runs.length * CACHE.length);
    expect(new Set(freed).size).toBe(freed.length);
    const V = GEOMETRY.vocab;
    expect(recorded.transfers()).toEqual({
      kvCache: 'gpu-buffer',
      runs: 4,
      // The prefill's [2, 3, V] logits, then [2, 1, V] a step.
      readBytes: [2 * 3 * V * 4, 2 * V * 4, 2 * V * 4, 2 * V * 4],
      cacheOutputsOnCpu: [0, 0, 0, 0],
      cacheInputsFromCpu: [0, 0, 0, 0],
      gpuTensorsAlive: 0,
    });
  });

  it('reports a cache returned on the CPU (the wasm path) as cpu, with its bytes read back', async () => {
    const fake = fakeSession('cpu');
    const recorded = recordTransfers(fake.session);
    await decode(recorded.session, [[1, 2, 3]], 3);
    const { kvHeads: H, headDim: D, vocab: V } = GEOMETRY;
    const cacheBytes = (keys: number) => CACHE.length * H * keys * D * 4;
    expect(recorded.transfers()).toEqual({
      kvCache: 'cpu',
      runs: 3,
      readBytes: [3 * V * 4 + cacheBytes(3), V * 4 + cacheBytes(4), V * 4 + cacheBytes(5)],
      cacheOutputsOnCpu: [4, 4, 4],
      cacheInputsFromCpu: [0, 4, 4],
      gpuTensorsAlive: 0,
    });
  });

  it('leaves the session itself as it is: names, metadata and release go to it', async () => {
    const fake = fakeSession('gpu-buffer');
    const { session } = recordTransfers(fake.session);
    expect(session.inputNames).toBe(fake.session.inputNames);
    await session.release();
    expect(fake.session.released).toBe(1);
  });
});
