/**
 * The onnxruntime decode in a worker thread: the same logits as the same export decoded on this thread
 * (bit for bit: the same graph and session options), through prefill, steps, joins, leaves, a new order and
 * a copied prompt prefix, for both families and both cache layouts; errors of the worker come back as
 * errors of the call that caused them, and the decode goes on after them.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError, InvalidOptionError } from '@steerlm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BatchingDecodeSession } from './decode-session';
import { DecoderModel } from './decoder-model';
import { OnnxruntimeDecoder, type OnnxruntimeDecoderOptions } from './onnxruntime-decoder';
import { OnnxruntimeWorkerDecodeSession } from './onnxruntime-worker-decode-session';
import { LocalLanguageModel } from './local-language-model';
import { byteTokenizer } from './testing/byte-tokenizer';
import { CONTRIB_PARITY_CONFIGS, PARITY_CONFIGS, spreadBlockWeights } from './testing/parity-models';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const feedOf = (seed: number) => Array.from({ length: 40 }, (_, index) => (seed * 37 + index * 11) % 250);
const PROMPTS = [
  [5, 17, 33, 2, 90],
  [200, 3],
  Array.from({ length: 30 }, (_, index) => (index * 29 + 7) % 256),
  // Shares its first 20 tokens with the prompt above: copied from the prefix cache.
  [...Array.from({ length: 20 }, (_, index) => (index * 29 + 7) % 256), 4, 4],
];

/**
 * One script of decode calls (prefill two rows, steps, two joins, a leave, a new order, steps), returning
 * every logits row it got and the prefix each join copied.
 */
async function script(decoder: OnnxruntimeDecoder): Promise<{ logits: Float32Array[]; reused: (readonly number[])[]; shapes: string[] }> {
  const logits: Float32Array[] = [];
  const shapes: string[] = [];
  const reused: (readonly number[])[] = [];
  const fed = PROMPTS.map(() => 0);
  let order = [0, 1];
  const session = decoder.startDecode();
  const keep = (rows: Float32Array[]) => logits.push(...rows.map((row) => row.slice()));
  const steps = async (count: number) => {
    for (let step = 0; step < count; step++) {
      keep(await session.step(order.map((row) => feedOf(row)[fed[row]!]!)));
      order.forEach((row) => fed[row]!++);
      shapes.push(`${session.rows}×${session.keySlots}`);
    }
  };
  const join = async (row: number) => {
    const joining = session.spawn();
    keep(await joining.prefill([PROMPTS[row]!]));
    reused.push((joining as { reusedPrefix?: readonly number[] }).reusedPrefix ?? []);
    await session.appendRows(joining);
    order = [...order, row];
  };
  try {
    keep(await session.prefill(order.map((row) => PROMPTS[row]!)));
    await steps(3);
    await join(2);
    await steps(2);
    await join(3);
    await steps(2);
    await session.selectRows([0, 2, 3]);
    order = [0, 2, 3];
    await steps(2);
    await session.selectRows([2, 0, 1]);
    order = [3, 0, 2];
    await steps(3);
    expect(session.rows).toBe(3);
    return { logits, reused, shapes };
  } finally {
    session.dispose();
  }
}

const CASES = [
  ['llama, in-place cache', PARITY_CONFIGS.llama!, { contribOps: false }],
  ['gpt2, in-place cache', PARITY_CONFIGS.gpt2!, { contribOps: false }],
  ['llama, contrib-op export', CONTRIB_PARITY_CONFIGS.llama!, { contribOps: true }],
  ['gpt2, the whole cache as outputs', PARITY_CONFIGS.gpt2!, { contribOps: false, inPlaceCache: false }],
] as const;

describe.each(CASES)('OnnxruntimeDecoder with worker: true, %s', (_name, config, options: OnnxruntimeDecoderOptions) => {
  it('gives the logits of the same export decoded on this thread, bit for bit', async () => {
    const model = DecoderModel.create(config(), { seed: 31 });
    spreadBlockWeights(model);
    const here = await OnnxruntimeDecoder.create(model, { ...options, intraOpNumThreads: 1, cacheSlotChunk: 4 });
    const there = await OnnxruntimeDecoder.create(model, { ...options, intraOpNumThreads: 1, cacheSlotChunk: 4, worker: true });
    try {
      expect(there.worker).toBe(true);
      expect(here.worker).toBe(false);
      expect(there.startDecode()).toBeInstanceOf(OnnxruntimeWorkerDecodeSession);
      const expected = await script(here);
      const got = await script(there);
      expect(got.logits.length).toBe(expected.logits.length);
      expect(got.logits.length).toBe(2 + 3 * 2 + 1 + 2 * 3 + 1 + 2 * 4 + 2 * 3 + 3 * 3);
      got.logits.forEach((row, index) => expect(row).toEqual(expected.logits[index]));
      // The prefix each join copied (none without the in-place cache, which has no prefix cache).
      expect(got.reused).toEqual(options.inPlaceCache === false ? [[0], [0]] : expected.reused);
      // Rows and key slots after each step, as the session on this thread has them.
      expect(got.shapes).toEqual(expected.shapes);
      expect(new Set(got.shapes).size).toBeGreaterThan(4);
      // The comparison means something: rows differ, and the last join copied its shared prefix.
      expect(got.logits[0]).not.toEqual(got.logits[1]);
      if (options.inPlaceCache !== false) expect(got.reused.at(-1)).toEqual([20]);
    } finally {
      here.release();
      there.release();
      model.dispose();
    }
  });
});

describe('OnnxruntimeDecoder with worker: true, errors', () => {
  it("reports the worker's errors on the call that caused them, and the decode goes on", async () => {
    const model = DecoderModel.create(PARITY_CONFIGS.llama!(), { seed: 3 });
    const decoder = await OnnxruntimeDecoder.create(model, { contribOps: false, worker: true });
    const session: BatchingDecodeSession = decoder.startDecode();
    try {
      // Checked here: a token count that is not the row count.
      await expect(session.step([1])).rejects.toBeInstanceOf(InvalidOptionError);
      // Checked in the worker by onnxruntime: a token id past the vocabulary.
      const failed = await session.prefill([[1, 2, 9999]]).catch((error: unknown) => error);
      expect(BackendError.isInstance(failed)).toBe(true);
      expect(String((failed as Error).message)).toMatch(/onnxruntime decode worker failed/);
      const fresh = decoder.startDecode();
      const logits = await fresh.prefill([[1, 2, 3]]);
      expect(logits).toHaveLength(1);
      expect(logits[0]).toHaveLength(256);
      expect((await fresh.step([4]))[0]).toHaveLength(256);
      fresh.dispose();
      // A session of another decoder cannot be appended.
      const other = await OnnxruntimeDecoder.create(model, { contribOps: false });
      const foreign = other.startDecode();
      await expect(decoder.startDecode().appendRows(foreign)).rejects.toBeInstanceOf(InvalidOptionError);
      foreign.dispose();
      other.release();
    } finally {
      session.dispose();
      decoder.release();
      model.dispose();
    }
  });

  it('ends the thread on release once its decodes are disposed; a decode of a released worker fails', async () => {
    const model = DecoderModel.create(PARITY_CONFIGS.gpt2!(), { seed: 4 });
    const decoder = await OnnxruntimeDecoder.create(model, { contribOps: false, worker: true });
    const running = decoder.startDecode();
    await running.prefill([[1, 2, 3]]);
    decoder.release();
    // Still open: it decodes on.
    expect((await running.step([5]))[0]).toHaveLength(256);
    expect(decoder.openDecodes).toBe(1);
    running.dispose();
    expect(decoder.openDecodes).toBe(0);
    expect(() => decoder.startDecode()).toThrow(InvalidOptionError);
    model.dispose();
  });

  it('fails the decodes of a worker thread that dies, and LocalLanguageModel makes a new one for the next call', async () => {
    const model = DecoderModel.create(PARITY_CONFIGS.llama!(), { seed: 5 });
    const workerModule = new URL('./testing/exiting-decode-worker.ts', import.meta.url).href;
    const local = new LocalLanguageModel(model, byteTokenizer(), { engine: 'onnxruntime', onnxruntime: { contribOps: false, worker: true, workerModule } });
    try {
      // The first call's second step kills the thread: the call fails with a BackendError naming it.
      const failed = await local.generate('abc', { maxTokens: 4, temperature: 0 }).catch((error: unknown) => error);
      expect(BackendError.isInstance(failed)).toBe(true);
      expect(String((failed as Error).message)).toMatch(/decode worker exited \(code 3\)/);
      // The next call gets a new worker (which dies at its own second step again): its first token comes back.
      const first = await local.generate('abc', { maxTokens: 1, temperature: 0 });
      expect(first.usage.completionTokens).toBe(1);
    } finally {
      await local.releaseEngine();
      model.dispose();
    }
  });
});
