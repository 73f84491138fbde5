import type { AttributeValues, GenerateResult } from '@steerlm/core';
import {
  createSteerBenchScorer,
  isCorrectAnswer,
  STEERBENCH_SCHEMA,
  summarizeAdherence,
  type AdherenceResult,
  type AdherenceSample,
  type SteerBenchPrompt,
} from '@steerlm/evaluators';
import type { LocalLanguageModel } from '@steerlm/sft';
import { steerBenchPromptText, steerBenchScoringInput } from './steerbench-conversations';

/** How the demo samples from its models. */
export interface DemoSampling {
  readonly temperature: number;
  readonly batchSize: number;
  readonly seed: number;
  readonly maxTokens: number;
  readonly signal?: AbortSignal;
  /** Called after each batch with the number of responses done. */
  readonly onBatch?: (done: number, total: number) => void;
}

/** One answered question of a correctness measurement. */
export interface CorrectnessSample {
  readonly question: string;
  readonly response: string;
  readonly correct: boolean;
}

/** Returns every prompt's continuation, decoded in batches (batch i uses seed `seed + i`). */
export async function generateInBatches(model: LocalLanguageModel, prompts: readonly string[], sampling: DemoSampling): Promise<GenerateResult[]> {
  const results: GenerateResult[] = [];
  for (let start = 0; start < prompts.length; start += sampling.batchSize) {
    sampling.signal?.throwIfAborted();
    const batch = await model.generateBatch(prompts.slice(start, start + sampling.batchSize), {
      temperature: sampling.temperature,
      maxTokens: sampling.maxTokens,
      seed: sampling.seed + start / sampling.batchSize,
      ...(sampling.signal ? { signal: sampling.signal } : {}),
    });
    results.push(...batch.map((result) => ({ ...result, text: result.text.replace(/\n$/, '') })));
    sampling.onBatch?.(results.length, prompts.length);
  }
  return results;
}

/** Returns the share of correct answers to the prompts (steered by `attributes`, or unconditioned) and the samples. */
export async function measureCorrectness(
  model: LocalLanguageModel,
  prompts: readonly SteerBenchPrompt[],
  attributes: AttributeValues | undefined,
  sampling: DemoSampling,
): Promise<{ correctness: number; samples: CorrectnessSample[] }> {
  const results = await generateInBatches(
    model,
    prompts.map((prompt) => steerBenchPromptText(prompt.question, attributes)),
    sampling,
  );
  const samples = results.map((result, index) => {
    const question = prompts[index]!.question;
    return { question, response: result.text, correct: isCorrectAnswer(steerBenchScoringInput(question, result.text)) };
  });
  return { correctness: samples.filter((sample) => sample.correct).length / Math.max(1, samples.length), samples };
}

/** The values each attribute is swept over: quality's three levels, the counts 0..4. */
export const STEERING_GRID: Readonly<Record<string, readonly number[]>> = Object.freeze({
  quality: [0, 2, 4],
  toxicity: [0, 1, 2, 3, 4],
  humor: [0, 1, 2, 3, 4],
  verbosity: [0, 1, 2, 3, 4],
});

/**
 * Returns the steering curves of `model`: each attribute swept over its grid values with the others at
 * the schema defaults, every prompt answered once per value, responses measured by the SteerBench
 * ground-truth scorer, and per attribute MAE, Spearman(requested, measured) and the curve.
 */
export async function measureSteering(model: LocalLanguageModel, prompts: readonly SteerBenchPrompt[], sampling: DemoSampling): Promise<AdherenceResult> {
  const defaults = STEERBENCH_SCHEMA.defaults();
  const jobs = Object.entries(STEERING_GRID).flatMap(([attribute, values]) =>
    values.flatMap((value) =>
      prompts.map((prompt, promptIndex) => ({
        attribute,
        promptIndex,
        question: prompt.question,
        requested: Object.freeze({ ...defaults, [attribute]: value }) as AttributeValues,
      })),
    ),
  );
  const results = await generateInBatches(
    model,
    jobs.map((job) => steerBenchPromptText(job.question, job.requested)),
    sampling,
  );
  const scores = await createSteerBenchScorer().score(results.map((result, index) => steerBenchScoringInput(jobs[index]!.question, result.text)));
  const samplesByAttribute = new Map<string, AdherenceSample[]>();
  jobs.forEach((job, index) => {
    const score = scores[index]!;
    const sample: AdherenceSample = {
      prompt: job.promptIndex,
      sample: 0,
      requested: job.requested,
      response: results[index]!.text,
      finishReason: results[index]!.finishReason,
      measured: { [job.attribute]: score.values[job.attribute]! },
      measuredRounded: { [job.attribute]: score.rounded[job.attribute]! },
    };
    samplesByAttribute.set(job.attribute, [...(samplesByAttribute.get(job.attribute) ?? []), sample]);
  });
  const grid = Object.entries(STEERING_GRID).map(([attribute, values]) => ({ attribute, values: [...values] }));
  const attributes = grid.flatMap((entry) => summarizeAdherence(samplesByAttribute.get(entry.attribute) ?? [], [entry], STEERBENCH_SCHEMA));
  return {
    modelId: model.modelId,
    grid,
    fixed: defaults,
    prompts: prompts.length,
    skippedPrompts: [],
    measure: 'values',
    attributes,
    samples: [...samplesByAttribute.values()].flat(),
  };
}
