/**
 * The in-place cache: rows of different lengths that join, leave and change order, with the cache
 * growing past its capacity (a chunk of 4 slots) and shrinking again, give every row the logits it gets
 * decoded alone by tfjs (within 1e-4), for both families; so do prompts that copy the prefix they share
 * with the last prompt prefilled.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecoderModel } from './decoder-model';
import { OnnxruntimeDecoder } from './onnxruntime-decoder';
import { OnnxruntimeInPlaceDecodeSession } from './onnxruntime-in-place-decode-session';
import { TfjsDecodeSession } from './tfjs-decode-session';
import { CONTRIB_PARITY_CONFIGS, PARITY_CONFIGS, spreadBlockWeights } from './testing/parity-models';

const TOLERANCE = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** One request's row: its prompt and the tokens fed after it (a fixed sequence, the same alone and batched). */
interface Row {
  prompt: number[];
  fed: number[];
}

const feedOf = (seed: number) => Array.from({ length: 40 }, (_, index) => (seed * 37 + index * 11) % 250);

/** Each row's logits after its prompt and after each fed token, decoded alone by tfjs. */
async function aloneLogits(model: DecoderModel, row: Row, steps: number): Promise<Float32Array[]> {
  const session = new TfjsDecodeSession(model);
  try {
    const logits = [(await session.prefill([row.prompt]))[0]!.slice()];
    for (let step = 0; step < steps; step++) logits.push((await session.step([row.fed[step]!]))[0]!.slice());
    return logits;
  } finally {
    session.dispose();
  }
}

function worstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let index = 0; index < a.length; index++) worst = Math.max(worst, Math.abs(a[index]! - b[index]!));
  return worst;
}

const FAMILIES = [
  ['llama (grouped-query heads)', PARITY_CONFIGS.llama!, {}],
  ['gpt2', PARITY_CONFIGS.gpt2!, {}],
  ['llama, contrib-op export', CONTRIB_PARITY_CONFIGS.llama!, { contribOps: true }],
  ['gpt2, contrib-op export', CONTRIB_PARITY_CONFIGS.gpt2!, { contribOps: true }],
] as const;

describe.each(FAMILIES)('OnnxruntimeInPlaceDecodeSession on %s', (_name, config, options) => {
  it('gives each row its logits alone through joins, leaves, a new order and cache growth past the capacity', async () => {
    const model = DecoderModel.create(config(), { seed: 17 });
    spreadBlockWeights(model);
    const decoder = await OnnxruntimeDecoder.create(model, { contribOps: false, ...options, cacheSlotChunk: 4 });
    expect(decoder.inPlaceCache).toBe(true);
    const rows: Row[] = [
      { prompt: [5, 17, 33, 2, 90], fed: feedOf(1) },
      { prompt: [200, 3], fed: feedOf(2) },
      { prompt: Array.from({ length: 30 }, (_, index) => (index * 29 + 7) % 256), fed: feedOf(3) },
      { prompt: [7, 7, 7], fed: feedOf(4) },
    ];
    // What each row has been fed so far (its step count), and the expected logits per step.
    const expected = await Promise.all(rows.map((row) => aloneLogits(model, row, 30)));
    const fedSoFar = rows.map(() => 0);
    let worst = 0;
    const check = (order: readonly number[], logits: readonly Float32Array[]) => {
      expect(logits.length).toBe(order.length);
      order.forEach((row, index) => (worst = Math.max(worst, worstDifference(logits[index]!, expected[row]![fedSoFar[row]!]!))));
    };
    const session = decoder.startDecode() as OnnxruntimeInPlaceDecodeSession;
    expect(session).toBeInstanceOf(OnnxruntimeInPlaceDecodeSession);
    const make = () => session.spawn();
    let order = [0, 1];
    const capacities: number[] = [];
    const steps = async (count: number) => {
      for (let step = 0; step < count; step++) {
        const logits = await session.step(order.map((row) => rows[row]!.fed[fedSoFar[row]!]!));
        order.forEach((row) => fedSoFar[row]!++);
        check(order, logits);
        capacities.push(session.slotCapacity);
      }
    };
    try {
      check(order, await session.prefill(order.map((row) => rows[row]!.prompt)));
      // Row 0 holds 5 keys: 8 slots (5 + 1 rounded up to the chunk); stepping past 7 keys grows them.
      expect(session.slotCapacity).toBe(8);
      await steps(4);
      expect(capacities.at(-1)).toBeGreaterThan(8);
      // A longer prompt joins (prefilled apart), then a short one.
      const joining = make();
      check([2], await joining.prefill([rows[2]!.prompt]));
      await session.appendRows(joining);
      order = [...order, 2];
      await steps(3);
      const last = make();
      check([3], await last.prefill([rows[3]!.prompt]));
      await session.appendRows(last);
      order = [...order, 3];
      expect(session.keySlots).toBe(33);
      await steps(3);
      // Row 1 leaves (the kept rows move down in place), then the rest change order (copied).
      await session.selectRows([0, 2, 3]);
      order = [0, 2, 3];
      await steps(2);
      await session.selectRows([2, 0, 1]);
      order = [3, 0, 2];
      await steps(2);
      // The longest row (2) leaves: far fewer slots needed, so the cache shrinks.
      const before = session.slotCapacity;
      await session.selectRows([0, 1]);
      order = [3, 0];
      expect(session.slotCapacity).toBeLessThan(before);
      await steps(6);
      expect(session.rows).toBe(2);
      expect(worst).toBeLessThan(TOLERANCE);
      // The comparison means something: the logits move from step to step.
      expect(worstDifference(expected[0]![0]!, expected[0]![5]!)).toBeGreaterThan(0.01);
    } finally {
      session.dispose();
      decoder.release();
      model.dispose();
    }
  });

  it('copies the prefix a prompt shares with the last one prefilled, and decodes it as tfjs alone', async () => {
    const model = DecoderModel.create(config(), { seed: 23 });
    spreadBlockWeights(model);
    const decoder = await OnnxruntimeDecoder.create(model, { contribOps: false, ...options });
    const base = Array.from({ length: 24 }, (_, index) => (index * 17 + 5) % 250);
    const rows: Row[] = [
      { prompt: [...base, 1, 2, 3], fed: feedOf(5) },
      { prompt: [...base.slice(0, 20), 9, 8, 7, 6, 5], fed: feedOf(6) },
      { prompt: [4, 5], fed: feedOf(7) },
    ];
    const expected = await Promise.all(rows.map((row) => aloneLogits(model, row, 6)));
    let worst = 0;
    /** Prefills `order` in a new session, checks the copied prefixes and every step's logits. */
    const decode = async (order: number[], copied: number[]) => {
      const session = decoder.startDecode() as OnnxruntimeInPlaceDecodeSession;
      try {
        const logits = await session.prefill(order.map((row) => rows[row]!.prompt));
        expect(session.reusedPrefix).toEqual(copied);
        order.forEach((row, index) => (worst = Math.max(worst, worstDifference(logits[index]!, expected[row]![0]!))));
        for (let step = 0; step < 6; step++) {
          const next = await session.step(order.map((row) => rows[row]!.fed[step]!));
          order.forEach((row, index) => (worst = Math.max(worst, worstDifference(next[index]!, expected[row]![step + 1]!))));
        }
      } finally {
        session.dispose();
      }
    };
    try {
      // Nothing cached yet; then the 20 tokens the second prompt shares with the first, none for the short one
      // (under the minimum); then all but the last token of the second prompt (the longest of its call, so the
      // one cached) again; then the first prompt's 20 shared tokens, and all but its last.
      await decode([0], [0]);
      await decode([1, 2], [20, 0]);
      await decode([2, 1], [0, 24]);
      await decode([0], [20]);
      await decode([0], [26]);
      expect(worst).toBeLessThan(TOLERANCE);
      // Without the cache every prompt is prefilled whole.
      const plain = await OnnxruntimeDecoder.create(model, { contribOps: false, ...options, prefixCache: false });
      const session = plain.startDecode() as OnnxruntimeInPlaceDecodeSession;
      await session.prefill([rows[0]!.prompt]);
      await session.spawn().prefill([rows[0]!.prompt]);
      expect(session.reusedPrefix).toEqual([0]);
      session.dispose();
      plain.release();
    } finally {
      decoder.release();
      model.dispose();
    }
  });
});
