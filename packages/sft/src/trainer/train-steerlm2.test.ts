import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer, conditionPrompt, parseAttributes, STEERLM, type SteerLM2Record } from '@steerlm/core';
import { LocalLanguageModel } from '../models/local-language-model';
import { tinyModel } from './testing/tiny-run';
import { trainSteerLM2 } from './train-steerlm2';

const tokenizer = charTokenizer();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function record(prompt: string, label: string, values: string[], logs: [number, number, number][]): SteerLM2Record {
  return {
    system: 'S',
    prompt_turns: [{ from: 'User', value: prompt }],
    label,
    responses: values.map((value, index) => ({
      from: 'Assistant',
      value,
      'log(P(a|x,y))': logs[index]![0],
      'log(P(y|x))': logs[index]![1],
      'log(Q(y|a,x))': logs[index]![2],
    })),
    prompt_id: prompt,
  };
}

/** Returns the model's log Qθ(y|a,x) and token count of each response, scored by LocalLanguageModel (not the trainer). */
async function scoreResponses(lm: LocalLanguageModel, item: SteerLM2Record) {
  const prompt = conditionPrompt({ system: item.system, prompt: item.prompt_turns[0]!.value, attributes: parseAttributes(item.label!, STEERLM) });
  return Promise.all(item.responses.map((response) => lm.logProbability(prompt, `${response.value}\n<extra_id_1>`)));
}

const softmax = (values: number[]) => {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / total);
};

describe('trainSteerLM2 (SteerLM 2.0 end to end)', () => {
  it('reports, on its first step, the objective computed by hand from the records and the model', async () => {
    const model = tinyModel(5);
    const item = record(
      'Q?',
      'quality:4,humor:1',
      ['Yes.', 'No way!', 'Maybe so.'],
      [
        [-0.5, -9, -8],
        [-3, -12, -10],
        [-1, -11, -12],
      ],
    );
    const scored = await scoreResponses(new LocalLanguageModel(model, tokenizer), item);
    const logModel = scored.map((score) => score.logProbability);
    const w = softmax(item.responses.map((r) => r['log(P(a|x,y))'] + r['log(P(y|x))'] - r['log(Q(y|a,x))']));
    const b = softmax(item.responses.map((r, index) => logModel[index]! - r['log(Q(y|a,x))']));
    const meanTokens = scored.reduce((sum, score) => sum + score.tokens, 0) / scored.length;
    // Trained tokens: each response, its newline and the <extra_id_1> after it.
    expect(scored.map((score) => score.tokens)).toEqual([6, 9, 11]);
    const expected = -w.reduce((sum, weight, index) => sum + (weight - b[index]!) * logModel[index]!, 0) / meanTokens;
    const expectedKl = w.reduce((sum, weight, index) => sum + weight * Math.log(weight / b[index]!), 0);
    const { summary } = await trainSteerLM2({ model, tokenizer, train: [item], maxSteps: 1, learningRate: 1e-3, warmupSteps: 0 });
    expect(summary).toMatchObject({ steps: 1, records: 1, responses: 3, droppedRecords: 0 });
    expect(summary.lossCurve[0]!.loss).toBeCloseTo(expected, 5);
    expect(summary.lossCurve[0]!.klDivergence).toBeCloseTo(expectedKl, 5);
  }, 60_000);

  it("moves the model's weighting of the responses toward the target w", async () => {
    const model = tinyModel(7);
    const lm = new LocalLanguageModel(model, tokenizer);
    const raw = [
      record(
        'Q1?',
        'quality:4',
        ['Paris.', 'Rome.', 'Oslo.'],
        [
          [0, 0, 0],
          [-4, 0, 0],
          [-4, 0, 0],
        ],
      ),
      record(
        'Q2?',
        'quality:0',
        ['Blue!', 'Red!', 'Green!'],
        [
          [-4, 0, 0],
          [0, 0, 0],
          [-4, 0, 0],
        ],
      ),
    ];
    // As in real data the sampling model is the one being trained: log Q' is its own log-probability, so b starts uniform.
    const records = await Promise.all(
      raw.map(async (item) => {
        const scored = await scoreResponses(lm, item);
        return { ...item, responses: item.responses.map((response, index) => ({ ...response, 'log(Q(y|a,x))': scored[index]!.logProbability })) };
      }),
    );
    const klOf = async () => {
      let total = 0;
      for (const item of records) {
        const scored = await scoreResponses(lm, item);
        const w = softmax(item.responses.map((r) => r['log(P(a|x,y))'] + r['log(P(y|x))'] - r['log(Q(y|a,x))']));
        const b = softmax(item.responses.map((r, index) => scored[index]!.logProbability - r['log(Q(y|a,x))']));
        total += w.reduce((sum, weight, index) => sum + weight * Math.log(weight / b[index]!), 0);
      }
      return total / records.length;
    };
    const before = await klOf();
    expect(before).toBeGreaterThan(0.8);
    const { summary } = await trainSteerLM2({ model, tokenizer, train: records, promptsPerStep: 2, epochs: 30, learningRate: 1e-2, warmupSteps: 0, seed: 1 });
    expect(summary.steps).toBe(30);
    const after = await klOf();
    expect(after).toBeLessThan(before / 3);
    expect(summary.finalKlDivergence).toBeLessThan(summary.lossCurve[0]!.klDivergence);
  }, 120_000);

  it('drops a record whose responses truncation leaves nothing to train, and refuses data with none left', async () => {
    const short = record(
      'Q?',
      'quality:4',
      ['A.', 'B.'],
      [
        [0, -1, -1],
        [0, -1, -1],
      ],
    );
    const long = record(
      'Q?'.repeat(60),
      'quality:4',
      ['A.', 'B.'],
      [
        [0, -1, -1],
        [0, -1, -1],
      ],
    );
    const { summary } = await trainSteerLM2({ model: tinyModel(), tokenizer, train: [short, long], maxSequenceLength: 100, maxSteps: 1 });
    expect(summary).toMatchObject({ records: 1, droppedRecords: 1, responses: 2 });
    await expect(trainSteerLM2({ model: tinyModel(), tokenizer, train: [long], maxSequenceLength: 100 })).rejects.toThrow(/none of the 1 SteerLM 2.0 records/);
  }, 60_000);
});
