/**
 * Continuous batching on both engines: requests that join and leave a running batch get exactly the
 * tokens they get decoded alone (greedy and seeded), guided rows mix as in generateTokens, and a request
 * that leaves or aborts has its rows (and its key slots) freed.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { ContinuousBatcher, type BatchedRequest } from './continuous-batcher';
import type { BatchingDecodeSession } from './decode-session';
import { DecoderModel } from './decoder-model';
import { generateTokens, type GenerateTokensOptions } from './generate-tokens';
import { OnnxruntimeDecoder } from './onnxruntime-decoder';
import { TfjsDecodeSession } from './tfjs-decode-session';

let decoder: DecoderModel;
let onnxruntime: OnnxruntimeDecoder;
/** The export whose outputs are the whole cache (the Optimum layout), with and without preallocated output buffers. */
let wholeCache: OnnxruntimeDecoder;
let unpreallocated: OnnxruntimeDecoder;
/** The in-place export run in a worker thread. */
let inWorker: OnnxruntimeDecoder;

beforeAll(async () => {
  await tf.setBackend('cpu');
  decoder = DecoderModel.create(
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 48,
      hidden_size: 16,
      intermediate_size: 24,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      max_position_embeddings: 64,
    }),
    { seed: 21 },
  );
  onnxruntime = await OnnxruntimeDecoder.create(decoder);
  wholeCache = await OnnxruntimeDecoder.create(decoder, { inPlaceCache: false });
  unpreallocated = await OnnxruntimeDecoder.create(decoder, { inPlaceCache: false, preallocateCache: false });
  inWorker = await OnnxruntimeDecoder.create(decoder, { worker: true });
});

afterAll(() => {
  onnxruntime.release();
  wholeCache.release();
  unpreallocated.release();
  inWorker.release();
  decoder.dispose();
});

/** A new session of each engine over the same weights. */
const ENGINES: Record<string, () => BatchingDecodeSession> = {
  tfjs: () => new TfjsDecodeSession(decoder),
  onnxruntime: () => onnxruntime.startDecode(),
  'onnxruntime with the whole cache as outputs': () => wholeCache.startDecode(),
  'onnxruntime with the whole cache as outputs, without preallocated buffers': () => unpreallocated.startDecode(),
  'onnxruntime in a worker thread': () => inWorker.startDecode(),
};

/** The tokens of one request decoded alone by generateTokens (rows mixed as one group). */
async function alone(request: BatchedRequest, session: BatchingDecodeSession): Promise<number[]> {
  const tokens: number[] = [];
  const { shouldStop, ...rest } = request.options;
  const options: GenerateTokensOptions = {
    ...rest,
    ...(shouldStop ? { shouldStop: (_row: number, produced: readonly number[]) => shouldStop(produced) } : {}),
    ...(request.rows.length > 1 ? { groups: [request.rows.map((row, index) => ({ row: index, weight: row.weight }))] } : {}),
  };
  for await (const step of generateTokens(
    session,
    request.rows.map((row) => row.ids),
    options,
  )) {
    if (step.tokens[0] !== undefined) tokens.push(step.tokens[0]);
  }
  return tokens;
}

async function collect(tokens: AsyncIterable<number>, onToken?: (count: number) => void): Promise<number[]> {
  const out: number[] = [];
  for await (const token of tokens) {
    out.push(token);
    onToken?.(out.length);
  }
  return out;
}

const request = (ids: number[], options: Partial<BatchedRequest['options']> = {}): BatchedRequest => ({
  rows: [{ ids, weight: 1 }],
  options: { maxTokens: 10, temperature: 0, ...options },
});

for (const [engine, startSession] of Object.entries(ENGINES)) {
  describe(`ContinuousBatcher on ${engine}`, () => {
    const solo = (entry: BatchedRequest) => alone(entry, startSession());

    it('lets requests join a running batch and gives each the tokens it gets decoded alone (greedy and seeded)', async () => {
      const tensors = tf.memory().numTensors;
      const batcher = new ContinuousBatcher(startSession);
      const first = request([3, 9, 27, 4, 11, 6, 2], { maxTokens: 14 });
      const second = request([5, 1], { maxTokens: 6, temperature: 1, topK: 12, seed: 9 });
      const third = request([8, 8, 30, 2, 17], { maxTokens: 20 });
      let joined: Promise<number[][]> | undefined;
      const firstTokens = await collect(batcher.generate(first), (count) => {
        // The others join after the first has decoded 3 tokens; the third outlives the first, whose early key slots are then compacted away.
        if (count === 3) joined = Promise.all([collect(batcher.generate(second)), collect(batcher.generate(third))]);
      });
      const [secondTokens, thirdTokens] = await joined!;
      expect(batcher.peakRows).toBe(3);
      expect(firstTokens).toEqual(await solo(first));
      expect(secondTokens).toEqual(await solo(second));
      expect(thirdTokens).toEqual(await solo(third));
      expect([firstTokens.length, secondTokens!.length, thirdTokens!.length]).toEqual([14, 6, 20]);
      expect(batcher.activeRows).toBe(0);
      // Every cache tensor of the batch (joins, leaves, compactions) is freed once it empties.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(batcher.session).toBeUndefined();
      expect(tf.memory().numTensors).toBe(tensors);
      expect(onnxruntime.openDecodes + wholeCache.openDecodes + unpreallocated.openDecodes + inWorker.openDecodes).toBe(0);
      batcher.dispose();
    });

    it('pads the running rows in front when a longer prompt joins, and compacts the slots a leaving row used', async () => {
      // The running session (the first one the source gives; joining rows are appended to it) reports its shape before each step.
      const shapes: { rows: number; keySlots: number }[] = [];
      const batcher = new ContinuousBatcher(() => {
        const session = startSession();
        const step = session.step.bind(session);
        session.step = (tokens) => {
          shapes.push({ rows: session.rows, keySlots: session.keySlots });
          return step(tokens);
        };
        return session;
      });
      const short = request([4, 19], { maxTokens: 12 });
      const long = request(
        Array.from({ length: 30 }, (_, index) => (index * 11 + 3) % 48),
        { maxTokens: 5, temperature: 0.9, seed: 3 },
      );
      let joined: Promise<number[]> | undefined;
      const shortTokens = await collect(batcher.generate(short), (count) => {
        if (count === 2) joined = collect(batcher.generate(long));
      });
      expect(shortTokens).toEqual(await solo(short));
      expect(await joined!).toEqual(await solo(long));
      // 11 steps for 12 tokens. Alone, the short row holds its 2 prompt slots and one more a step; beside
      // the long one, its 30 (the short row padded in front) and one more a step; once the long row has
      // left, its slots are dropped again.
      expect(shapes).toHaveLength(11);
      const together = shapes.flatMap((shape, step) => (shape.rows === 2 ? [step] : []));
      expect(together.length).toBe(4);
      expect(together.at(-1)! - together[0]!).toBe(3);
      shapes.forEach((shape, step) => expect(shape.keySlots).toBe(shape.rows === 2 ? 30 + step - together[0]! : 2 + step));
      batcher.dispose();
    });

    it('decodes a guided request (two rows mixed 2 / −1) as generateTokens does, beside a plain one', async () => {
      const batcher = new ContinuousBatcher(startSession);
      const guided: BatchedRequest = {
        rows: [
          { ids: [3, 9, 27, 4], weight: 2 },
          { ids: [3, 9], weight: -1 },
        ],
        options: { maxTokens: 8, temperature: 0 },
      };
      const plain = request([12, 40, 7], { maxTokens: 8 });
      const [guidedTokens, plainTokens] = await Promise.all([collect(batcher.generate(guided)), collect(batcher.generate(plain))]);
      expect(batcher.peakRows).toBe(3);
      expect(guidedTokens).toEqual(await solo(guided));
      expect(plainTokens).toEqual(await solo(plain));
      batcher.dispose();
    });

    it('frees the rows of a request whose consumer leaves or whose signal aborts, and the others go on unchanged', async () => {
      const batcher = new ContinuousBatcher(startSession);
      const long = request([6, 2, 19], { maxTokens: 16 });
      const controller = new AbortController();
      const aborted = request([1, 2, 3, 4], { maxTokens: 16, signal: controller.signal });
      const rowsSeen: number[] = [];
      const leaving = (async () => {
        const out: number[] = [];
        for await (const token of batcher.generate(request([9, 9, 1], { maxTokens: 16 }))) {
          out.push(token);
          if (out.length === 2) break;
        }
        return out;
      })();
      const sessionRows: number[] = [];
      const [longTokens, leftTokens, abortedTokens] = await Promise.all([
        collect(batcher.generate(long), () => {
          rowsSeen.push(batcher.activeRows);
          sessionRows.push(batcher.session?.rows ?? 0);
        }),
        leaving,
        collect(batcher.generate(aborted), (count) => {
          if (count === 4) controller.abort();
        }),
      ]);
      expect(leftTokens).toHaveLength(2);
      expect(abortedTokens.length).toBeGreaterThanOrEqual(4);
      expect(abortedTokens.length).toBeLessThanOrEqual(5);
      expect(longTokens).toEqual(await solo(long));
      // Three requests at first, then the two that left are dropped from the batch.
      expect(Math.max(...rowsSeen)).toBe(3);
      // (the last token may be read after its own row has left too)
      expect(rowsSeen.slice(8, -1)).toEqual(new Array(16 - 9).fill(1));
      // The session's cache holds only the rows still decoding.
      expect(sessionRows.slice(8, -1)).toEqual(new Array(16 - 9).fill(1));
      batcher.dispose();
    });

    it('keeps requests beyond maxRows waiting until rows free up, and checks its input', async () => {
      const batcher = new ContinuousBatcher(startSession, { maxRows: 2 });
      const requests = [request([4, 5], { maxTokens: 5 }), request([6, 7, 8], { maxTokens: 3 }), request([9], { maxTokens: 4 })];
      const results = await Promise.all(requests.map((entry) => collect(batcher.generate(entry))));
      expect(batcher.peakRows).toBe(2);
      for (const [index, entry] of requests.entries()) expect(results[index]).toEqual(await solo(entry));
      await expect(collect(batcher.generate({ rows: [], options: { maxTokens: 2 } }))).rejects.toThrow(/at least one prompt row/);
      await expect(collect(batcher.generate(request([1], { temperature: -1 })))).rejects.toThrow(/temperature/);
      batcher.dispose();
    });
  });
}

describe('ContinuousBatcher and the engine', () => {
  it("wakes a request's consumer only after the next step is asked for, so the consumer runs while the engine computes", async () => {
    const events: string[] = [];
    const vocab = 8;
    // An engine whose steps take 5 ms (a worker thread's): logits favour token (position % vocab).
    const session: BatchingDecodeSession = {
      maxPositions: 64,
      rows: 0,
      keySlots: 0,
      spawn: () => session,
      appendRows: async () => {},
      selectRows: async () => {},
      dispose: () => {},
      async prefill(prompts) {
        (session as { rows: number }).rows = prompts.length;
        return prompts.map(() => Float32Array.from({ length: vocab }, (_, id) => (id === 1 ? 1 : 0)));
      },
      step(tokens) {
        const call = events.filter((event) => event.startsWith('step')).length + 1;
        events.push(`step ${call}`);
        return new Promise((resolve) =>
          setTimeout(() => resolve(tokens.map(() => Float32Array.from({ length: vocab }, (_, id) => (id === (call + 1) % vocab ? 1 : 0)))), 5),
        );
      },
    };
    const batcher = new ContinuousBatcher(() => session);
    let count = 0;
    for await (const token of batcher.generate(request([1, 2], { maxTokens: 5 }))) events.push(`token ${++count}: ${token}`);
    // Token k comes from step k − 1 (token 1 from the prefill); its consumer runs once step k is asked for.
    expect(events).toEqual(['step 1', 'token 1: 1', 'step 2', 'token 2: 2', 'step 3', 'token 3: 3', 'step 4', 'token 4: 4', 'token 5: 5']);
    batcher.dispose();
  });
});

describe('ContinuousBatcher on onnxruntime in a worker thread (calls posted at once)', () => {
  it('fails only the requests whose prefill fails; the running batch and later joins go on with their own tokens', async () => {
    const batcher = new ContinuousBatcher(() => inWorker.startDecode());
    const running = request([3, 9, 27, 4], { maxTokens: 12 });
    const later = request([5, 1, 7], { maxTokens: 5, temperature: 1, seed: 4 });
    let failing: Promise<unknown> | undefined;
    let joining: Promise<number[]> | undefined;
    const runningTokens = await collect(batcher.generate(running), (count) => {
      // A token id past the vocabulary (48): onnxruntime fails that prefill in the worker.
      if (count === 2) failing = collect(batcher.generate(request([1, 2, 999], { maxTokens: 4 }))).catch((error: unknown) => error);
      if (count === 6) joining = collect(batcher.generate(later));
    });
    expect(BackendError.isInstance(await failing)).toBe(true);
    expect(runningTokens).toEqual(await alone(running, onnxruntime.startDecode()));
    expect(await joining!).toEqual(await alone(later, onnxruntime.startDecode()));
    expect(batcher.peakRows).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inWorker.openDecodes).toBe(0);
    batcher.dispose();
  });
});

describe('ContinuousBatcher on a session that queues its calls', () => {
  it('fails every request with the engine error when a step fails, with the joining calls of that turn failing too (no unhandled rejection)', async () => {
    const vocab = 8;
    const failure = new Error('the engine is gone');
    let steps = 0;
    const logits = (rows: number) => Array.from({ length: rows }, () => Float32Array.from({ length: vocab }, (_, id) => (id === 3 ? 1 : 0)));
    const make = (): BatchingDecodeSession => {
      const session: BatchingDecodeSession & { rows: number } = {
        maxPositions: 64,
        rows: 0,
        keySlots: 0,
        queuesCalls: true,
        spawn: make,
        async appendRows(other) {
          if (steps >= 2) throw failure;
          session.rows += other.rows;
        },
        selectRows: async () => {},
        dispose: () => {},
        async prefill(prompts) {
          if (steps >= 2) throw failure;
          session.rows = prompts.length;
          return logits(prompts.length);
        },
        async step(tokens) {
          if (++steps >= 2) throw failure;
          return logits(tokens.length);
        },
      };
      return session;
    };
    const batcher = new ContinuousBatcher(make);
    let joined: Promise<unknown> | undefined;
    const first = collect(batcher.generate(request([1, 2], { maxTokens: 10 })), (count) => {
      if (count === 1) joined = collect(batcher.generate(request([4], { maxTokens: 10 }))).catch((error: unknown) => error);
    }).catch((error: unknown) => error);
    expect(await first).toBe(failure);
    expect(await joined).toBe(failure);
    expect(batcher.activeRows).toBe(0);
    batcher.dispose();
  });
});
