import { describe, expect, it } from 'vitest';
import type { SeedResult, SteeringRecord } from './run-seed';
import { summarizeSeeds, summaryMarkdown } from './summarize-seeds';

const record = (prompt: number, requested: number, truth: number, apm = truth): SteeringRecord => ({ attribute: 'humor', prompt, requested, truth, apm });

/** One seed, two prompts, humor requested at 0 and 4: SFT is off by 2 and 1, SteerLM 1 by 1, SteerLM 2.0 exact. */
function seedResult(seed: number): SeedResult {
  return {
    seed,
    sizes: { roundSamples: 4, samplesPerPrompt: 2, roundSteps: 1 },
    evaluations: {
      sft: { steering: [record(0, 0, 0), record(0, 4, 2), record(1, 0, 1), record(1, 4, 4)], correct: [true, false] },
      steerlm1: { steering: [record(0, 0, 0), record(0, 4, 3), record(1, 0, 0), record(1, 4, 4)], correct: [true, true] },
      steerlm2: { steering: [record(0, 0, 0), record(0, 4, 4), record(1, 0, 0), record(1, 4, 4, 3)], correct: [false, false] },
      // At another learning rate: off by 4 everywhere.
      'steerlm2@0.0003': { steering: [record(0, 0, 4), record(0, 4, 0), record(1, 0, 4), record(1, 4, 0)], correct: [false, true] },
    },
  } as unknown as SeedResult;
}

describe('summarizeSeeds', () => {
  it('pools MAE, Spearman and correctness over seeds, with per-seed values and paired differences', () => {
    const summary = summarizeSeeds([seedResult(1), seedResult(2)], { resamples: 200, seed: 0 });
    const humor = summary.measures.truth.humor!;
    expect(summary.models).toEqual(['sft', 'steerlm1', 'steerlm2', 'steerlm2@0.0003']);
    // SFT: |0−0| + |4−2| + |0−1| + |4−4| = 3 over 4 responses.
    expect(humor.meanAbsoluteError.sft!.value).toBeCloseTo(0.75, 12);
    expect(humor.meanAbsoluteError.sft!.perSeed).toEqual([0.75, 0.75]);
    expect(humor.meanAbsoluteError.steerlm1!.value).toBeCloseTo(0.25, 12);
    expect(humor.meanAbsoluteError.steerlm2!.value).toBe(0);
    // Ranks of requested (1.5, 3.5, 1.5, 3.5) and SFT's measured (1, 3, 2, 4): ρ = 4 / √(4 · 5).
    expect(humor.spearman.sft!.value).toBeCloseTo(4 / Math.sqrt(20), 12);
    expect(humor.spearman.steerlm2!.value).toBeCloseTo(1, 12);
    expect(humor.differences['steerlm2-sft']!.meanAbsoluteError.value).toBeCloseTo(-0.75, 12);
    expect(humor.differences['steerlm2-steerlm1']!.meanAbsoluteError.value).toBeCloseTo(-0.25, 12);
    expect(humor.differences['steerlm2@0.0003-sft']!.meanAbsoluteError.value).toBeCloseTo(3.25, 12);
    expect(humor.spearman['steerlm2@0.0003']!.value).toBeCloseTo(-1, 12);
    expect(Object.keys(humor.differences)).toEqual(['steerlm1-sft', 'steerlm2-sft', 'steerlm2@0.0003-sft', 'steerlm2-steerlm1', 'steerlm2@0.0003-steerlm1']);
    // Every resample of SteerLM 2.0 is exact, so its interval is a point; SFT's spans the prompts' 1 and 0.5.
    expect([humor.meanAbsoluteError.steerlm2!.low, humor.meanAbsoluteError.steerlm2!.high]).toEqual([0, 0]);
    expect(humor.meanAbsoluteError.sft!.low!).toBeGreaterThanOrEqual(0.5);
    expect(humor.meanAbsoluteError.sft!.high!).toBeLessThanOrEqual(1);
    expect(humor.meanAbsoluteError.sft!.high! - humor.meanAbsoluteError.sft!.low!).toBeGreaterThan(0.1);
    // The APM measure differs only on SteerLM 2.0's last response (3 instead of 4).
    expect(summary.measures.apm.humor!.meanAbsoluteError.steerlm2!.value).toBeCloseTo(0.25, 12);
    expect(summary.correctness.sft!.value).toBe(0.5);
    expect(summary.correctness.steerlm1!.value).toBe(1);
    expect(summary.correctness.steerlm2!.perSeed).toEqual([0, 0]);
    expect(summary.seeds).toEqual([1, 2]);
  });

  it('writes one table row per attribute and model', () => {
    const markdown = summaryMarkdown(summarizeSeeds([seedResult(1)], { resamples: 20, seed: 0 }));
    expect(markdown).toContain('| humor | SFT start | 0.750 [');
    expect(markdown).toContain('| humor | SteerLM 2.0 round | 0.000 [0.000, 0.000] | 0.000 | 1.000 [');
    expect(markdown).toContain('| SteerLM 1 round | 1.000 [1.000, 1.000] | 1.000 |');
    expect(markdown).toContain('| humor | SteerLM 2.0 round, lr 0.0003 | 4.000 [4.000, 4.000] | 4.000 | -1.000 [');
    expect(markdown).toContain('| humor | SteerLM 2.0 round, lr 0.0003 − SteerLM 1 round | +3.750 [');
  });
});
