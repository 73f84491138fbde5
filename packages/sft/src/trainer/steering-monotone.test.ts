/**
 * The headline claim at a small seeded size: after conditioned SFT, raising one attribute in the prompt
 * raises that attribute in the answer, step by step (monotone), on every training prompt and on prompts
 * it never saw. The data: the humor label says how many " ha" a one-line answer ends with (h of them).
 * About 600 steps of a tiny Llama on wasm (~80 s of CPU).
 */
import { charTokenizer, type Conversation } from '@steerlm/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend';
import { LocalLanguageModel } from '../models';
import { tinyModel } from './testing/tiny-run';
import { trainConditionedSFT } from './train-conditioned-sft';

const animals = ['cat', 'dog', 'owl', 'fox', 'cow', 'bee'];
/** Prompts never seen in training. */
const unseen = ['emu', 'ant'];
const LEVELS = [0, 1, 2, 3, 4] as const;
/** The answer to "animal" at humor h: "An animal." then h times " ha". */
const answer = (humor: number): string => `An animal.${' ha'.repeat(humor)}`;

/** Every training animal at every level. */
function conversations(): Conversation[] {
  return animals.flatMap((animal) =>
    LEVELS.map((humor) => ({
      turns: [
        { role: 'user' as const, text: `${animal}?` },
        { role: 'assistant' as const, text: answer(humor), attributes: { quality: 4, humor } },
      ],
    })),
  );
}

/** Returns how many " ha" end `text` (-1 when it is not "An animal." followed by some " ha"). */
function laughs(text: string): number {
  const match = /^An animal\.((?: ha)*)$/.exec(text.trim());
  return match ? match[1]!.length / 3 : -1;
}

describe('steering after conditioned SFT (small seeded run)', () => {
  const tokenizer = charTokenizer();
  let lm: LocalLanguageModel;
  let finalLoss: number;

  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm' });
    const model = tinyModel(4);
    const { summary } = await trainConditionedSFT({
      model,
      tokenizer,
      train: conversations(),
      batchSize: 10,
      // 120 epochs learned the answers only on one exact sequence of float32 roundings (the XNNPACK matmuls
      // and composed AdamW at seed 1; seeds 2 and 3 left "cat" unsteered on that path too); 200 do on MLAS.
      epochs: 200,
      learningRate: 2e-2,
      warmupSteps: 10,
      weightDecay: 0,
      seed: 1,
    });
    finalLoss = summary.finalLoss;
    lm = new LocalLanguageModel(model, tokenizer);
  }, 300_000);

  it('trained: the answers are learned', () => {
    expect(finalLoss).toBeLessThan(0.1);
  });

  it('is monotone in the requested humor on every prompt, unseen ones included', async () => {
    const prompts = [...animals, ...unseen];
    const measured: number[][] = [];
    for (const animal of prompts) {
      const row: number[] = [];
      for (const humor of LEVELS) {
        const result = await lm.steer({ prompt: `${animal}?`, attributes: { quality: 4, humor } }, { maxTokens: 24, temperature: 0 });
        row.push(laughs(result.text));
      }
      measured.push(row);
    }
    // Each prompt: the number of "ha" never falls as humor rises, and spans 0 → 4.
    for (const [index, row] of measured.entries()) {
      for (let level = 1; level < row.length; level++)
        expect(row[level]!, `${prompts[index]} at humor ${level}: ${row.join(',')}`).toBeGreaterThanOrEqual(row[level - 1]!);
      expect(row[0], `${prompts[index]}: ${row.join(',')}`).toBe(0);
      expect(row[4], `${prompts[index]}: ${row.join(',')}`).toBe(4);
    }
    // And it is steering, not a step: at least four distinct amounts over the five levels (measured: 0,1,2,2,4).
    for (const [index, row] of measured.entries()) expect(new Set(row).size, `${prompts[index]}: ${row.join(',')}`).toBeGreaterThanOrEqual(4);
  });
});
