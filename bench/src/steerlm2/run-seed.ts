/**
 * One seed of the SteerLM 2.0 benchmark, built from the SteerBench demo's pieces (packages/cli/src/demo):
 * the demo's data, APM, tokenizer and conditioned SFT model; from that one SFT model, a SteerLM 1
 * bootstrap round (the demo's) and a SteerLM 2.0 round on equal budgets; the three models evaluated on
 * the same steering and correctness prompts with the same sampling seeds.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  conditionPrompt,
  parseAttributes,
  readSteerLM2Records,
  steerlmTemplate,
  type AttributeScorer,
  type AttributeValues,
  type Conversation,
  type SteerLM2Record,
} from '@steerlm/core';
import { collectAttributeCombinations, topValueFilter, type BootstrapPrompt } from '@steerlm/bootstrap';
import { generateSteerLM2Data } from '@steerlm/bootstrap/node';
import { generateSteerBench, STEERBENCH_SCHEMA, STEERBENCH_SYSTEM_PROMPT, steerBenchPrompts, type AdherenceResult } from '@steerlm/evaluators';
import { DecoderModel, LocalLanguageModel, trainSteerLM2 } from '@steerlm/sft';
import { BatchingLanguageModel } from '../../../packages/cli/src/demo/batching-language-model';
import { resolveDemoOptions, type ResolvedDemoOptions } from '../../../packages/cli/src/demo/demo-options';
import { measureCorrectness, measureSteering, type DemoSampling } from '../../../packages/cli/src/demo/evaluate-demo-model';
import { runBootstrapRound, scoreEmptyAsFloor } from '../../../packages/cli/src/demo/run-bootstrap-round';
import { steerBenchConversation, steerBenchScoringInput } from '../../../packages/cli/src/demo/steerbench-conversations';
import { trainAttributeModel } from '../../../packages/cli/src/demo/train-attribute-model';
import { trainDemoTokenizer } from '../../../packages/cli/src/demo/train-demo-tokenizer';
import { createDemoModel, DEMO_SEQUENCE_LENGTH, trainDemoModel } from '../../../packages/cli/src/demo/train-language-model';

/** The demo's longest decoded response (run-demo.ts). */
const MAX_NEW_TOKENS = 72;

/** The models every seed compares, in table order; SteerLM 2.0 rounds at other learning rates are added as `steerlm2@LR`. */
export const BENCH_MODELS = ['sft', 'steerlm1', 'steerlm2'] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];

/** The name of the SteerLM 2.0 round trained at learning rate `learningRate` instead of the rounds' shared one. */
export function steerlm2Variant(learningRate: number): string {
  return `steerlm2@${learningRate}`;
}

/** The sizes of one seed's run (beyond the demo's own options). */
export interface Steerlm2BenchSizes {
  /** Responses sampled by each round (SteerLM 1: one per prompt; SteerLM 2.0: samplesPerPrompt per prompt). */
  readonly roundSamples: number;
  /** SteerLM 2.0 responses per prompt (n). */
  readonly samplesPerPrompt: number;
  /** Optimizer steps of each round (the demo's bootstrapSteps), each over the demo's batch size in responses. */
  readonly roundSteps: number;
}

/** One steered response, measured by the exact SteerBench scorer and by the APM. */
export interface SteeringRecord {
  readonly attribute: string;
  readonly prompt: number;
  readonly requested: number;
  readonly truth: number;
  readonly apm: number;
}

export interface SteerLM2RoundSummary {
  readonly prompts: number;
  readonly responses: number;
  readonly finalLoss: number;
  readonly finalKlDivergence: number;
  readonly seconds: number;
  /**
   * Mean log Q(y|a,x) of the records' responses (with the end-of-turn tokens) under the SFT model (the
   * records' own values) and under the trained model: how much probability the objective left on them.
   */
  readonly meanLogProbability?: { readonly before: number; readonly after: number };
}

/** One model's evaluation on one seed. */
export interface ModelEvaluation {
  readonly steering: SteeringRecord[];
  /** Per correctness prompt, whether the answer at quality 4 was correct. */
  readonly correct: boolean[];
}

/** Everything one seed measured. */
export interface SeedResult {
  readonly seed: number;
  readonly options: Omit<ResolvedDemoOptions, 'signal'>;
  readonly sizes: Steerlm2BenchSizes;
  readonly sftFinalLoss: number | null;
  readonly steerlm1: { samples: number; trainedOn: number; finalLoss: number; seconds: number };
  readonly steerlm2: SteerLM2RoundSummary;
  /** The rounds' shared learning rate (SteerLM 1 and `steerlm2`). */
  readonly roundLearningRate: number;
  /** SteerLM 2.0 rounds on the same records at other learning rates, by model name. */
  readonly steerlm2Variants: Record<string, SteerLM2RoundSummary & { learningRate: number }>;
  /** By model: `sft`, `steerlm1`, `steerlm2` and the variants. */
  readonly evaluations: Record<string, ModelEvaluation>;
  readonly seconds: number;
}

/** Returns the steering records of an adherence result, each response re-measured by `apm` too. */
async function steeringRecords(result: AdherenceResult, questions: readonly string[], apm: AttributeScorer): Promise<SteeringRecord[]> {
  const scores = await apm.score(result.samples.map((sample) => steerBenchScoringInput(questions[sample.prompt]!, sample.response)));
  return result.samples.map((sample, index) => {
    const attribute = Object.keys(sample.measured)[0]!;
    return {
      attribute,
      prompt: sample.prompt,
      requested: sample.requested[attribute]!,
      truth: sample.measured[attribute]!,
      apm: scores[index]!.values[attribute]!,
    };
  });
}

/**
 * Runs one seed and writes its result (result.json) and SFT model into `folder`. With `reuse`, a saved SFT
 * model of the same settings is loaded instead of trained, and a saved result is kept (only the SteerLM 2.0
 * learning rates it lacks are trained and evaluated, on its saved records).
 */
export async function runSeed(
  seed: number,
  demo: Parameters<typeof resolveDemoOptions>[0],
  sizes: Steerlm2BenchSizes,
  folder: string,
  log: (line: string) => void,
  options: { reuse: boolean; steerlm2LearningRates: readonly number[] },
): Promise<SeedResult> {
  const started = performance.now();
  const { signal: _signal, ...settings } = resolveDemoOptions({ ...demo, seed, outputDir: folder });
  const reuseSft = options.reuse;
  const learningRates = options.steerlm2LearningRates;
  await mkdir(folder, { recursive: true });
  // A finished seed with the same sizes is kept; only SteerLM 2.0 learning rates it lacks are run.
  const savedFile = join(folder, 'result.json');
  let previous: SeedResult | undefined;
  if (options.reuse && existsSync(savedFile)) {
    const saved = JSON.parse(await readFile(savedFile, 'utf8')) as SeedResult;
    if (JSON.stringify(saved.sizes) === JSON.stringify(sizes) && saved.options.sftSteps === settings.sftSteps && saved.options.size === settings.size) {
      if (learningRates.every((learningRate) => saved.evaluations[steerlm2Variant(learningRate)] !== undefined)) {
        log(`seed ${seed}: result reused from ${savedFile}`);
        return saved;
      }
      previous = saved;
      log(`seed ${seed}: result reused from ${savedFile}; adding SteerLM 2.0 learning rates`);
    }
  }
  const lap = (() => {
    let last = performance.now();
    return (what: string) => {
      const now = performance.now();
      log(`seed ${seed}: ${what} (${((now - last) / 1000).toFixed(1)} s)`);
      last = now;
    };
  })();

  // The demo's data, APM and tokenizer.
  const data = generateSteerBench({
    seed: settings.seed,
    size: settings.size,
    labeledFraction: settings.labeledFraction,
    labelNoise: settings.labelNoise,
    mixture: settings.mixture,
    facts: settings.facts,
  });
  const apm = await trainAttributeModel(data.labeled, data.unlabeled, { seed: settings.seed });
  const labelOf = (index: number): AttributeValues => data.examples[index]!.label ?? apm.annotations[index - data.labeled.length]!;
  const annotated: Conversation[] = data.examples.map((example, index) => steerBenchConversation(example.question, example.response, labelOf(index)));
  const scorer = scoreEmptyAsFloor(apm.predictor);
  lap(`data and APM (quality MAE ${apm.quality.meanAbsoluteError.quality!.toFixed(3)})`);

  // The demo's conditioned SFT model (saved, and reused on a rerun).
  const sftFolder = join(folder, 'sft');
  let sftFinalLoss: number | null = null;
  let sft: DecoderModel;
  // The demo's tokenizer training is deterministic, so a saved model needs only its weights.
  const { tokenizer } = await trainDemoTokenizer(data.examples, settings.vocabSize);
  const sftKey = JSON.stringify({ size: settings.size, sftSteps: settings.sftSteps, model: settings.model, batchSize: settings.batchSize });
  const keyFile = join(folder, 'sft-settings.json');
  if (reuseSft && existsSync(join(sftFolder, 'config.json')) && existsSync(keyFile) && (await readFile(keyFile, 'utf8')) === sftKey) {
    sft = await DecoderModel.load(sftFolder);
    lap('SFT model reused');
  } else {
    sft = createDemoModel(settings.model, tokenizer.vocabSize, settings.seed * 1000 + 7);
    const summary = await trainDemoModel(sft, tokenizer, annotated, {
      steps: settings.sftSteps,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      seed: settings.seed,
      onEvent: (event) => {
        if (event.type === 'step-end' && event.step % 100 === 0) log(`seed ${seed}: SFT step ${event.step}, loss ${event.metrics?.loss?.toFixed(3)}`);
      },
    });
    sftFinalLoss = summary.finalLoss;
    await sft.save(sftFolder);
    await writeFile(keyFile, sftKey);
    lap(`SFT ${settings.sftSteps} steps, final loss ${summary.finalLoss.toFixed(3)}`);
  }
  const sftModel = new LocalLanguageModel(sft, tokenizer, { modelId: 'sft' });

  // Evaluation: the same prompts and sampling seeds for every model (paired).
  const steeringPrompts = steerBenchPrompts({ count: settings.steeringPrompts, seed: settings.seed + 2, facts: settings.facts });
  const correctnessPrompts = steerBenchPrompts({ count: settings.correctnessPrompts, seed: settings.seed + 1, facts: settings.facts });
  const top = { ...STEERBENCH_SCHEMA.defaults(), quality: STEERBENCH_SCHEMA.get('quality')!.max };
  const sampling = (offset: number): DemoSampling => ({
    temperature: settings.temperature,
    batchSize: settings.generationBatchSize,
    seed: settings.seed * 7919 + offset,
    maxTokens: MAX_NEW_TOKENS,
  });
  const evaluate = async (name: string, decoder: DecoderModel): Promise<ModelEvaluation> => {
    const model = new LocalLanguageModel(decoder, tokenizer, { modelId: name });
    const steering = await measureSteering(model, steeringPrompts, sampling(2));
    const correctness = await measureCorrectness(model, correctnessPrompts, top, sampling(1));
    lap(`evaluated ${name}: correct at quality 4 ${(100 * correctness.correctness).toFixed(1)} %`);
    return {
      steering: await steeringRecords(
        steering,
        steeringPrompts.map((prompt) => prompt.question),
        scorer,
      ),
      correct: correctness.samples.map((sample) => sample.correct),
    };
  };

  // The rounds' prompts: the demo's bootstrap prompts; SteerLM 2.0 takes the first roundSamples / n of them.
  const roundPrompts = steerBenchPrompts({ count: sizes.roundSamples, seed: settings.seed + 3, facts: settings.facts });
  const round = { learningRate: settings.learningRate / 3, warmupSteps: 0, seed: settings.seed + 1 };
  const recordsFile = join(folder, 'steerlm2.jsonl');
  const trainRound2 = async (learningRate: number): Promise<{ model: DecoderModel; summary: SteerLM2RoundSummary }> => {
    const model = await DecoderModel.load(sftFolder);
    const roundStarted = performance.now();
    const records: SteerLM2Record[] = [];
    for await (const { value } of readSteerLM2Records(recordsFile, { schema: STEERBENCH_SCHEMA })) records.push(value);
    const { summary } = await trainSteerLM2({
      model,
      tokenizer,
      train: records,
      schema: STEERBENCH_SCHEMA,
      maxSequenceLength: DEMO_SEQUENCE_LENGTH,
      promptsPerStep: Math.max(1, Math.round(settings.batchSize / sizes.samplesPerPrompt)),
      epochs: 1000,
      maxSteps: sizes.roundSteps,
      weightDecay: 0.01,
      ...round,
      learningRate,
    });
    const trained = new LocalLanguageModel(model, tokenizer);
    let [before, after, count] = [0, 0, 0];
    for (const record of records) {
      const attributes = record.label === null ? {} : { attributes: parseAttributes(record.label, STEERBENCH_SCHEMA) };
      const turns = record.prompt_turns.map(({ from, value }) => ({ role: from === 'User' ? ('user' as const) : ('assistant' as const), text: value }));
      const prompt = conditionPrompt({ system: record.system, turns, ...attributes, schema: STEERBENCH_SCHEMA });
      for (const response of record.responses) {
        before += response['log(Q(y|a,x))'];
        after += (await trained.logProbability(prompt, `${response.value}\n${steerlmTemplate.stopStrings[0]}`)).logProbability;
        count += 1;
      }
    }
    const meanLogProbability = { before: before / count, after: after / count };
    lap(
      `SteerLM 2.0 round at lr ${learningRate}: ${summary.records} prompts × ${sizes.samplesPerPrompt}, ${summary.steps} steps, final loss ${summary.finalLoss.toFixed(4)}, KL ${summary.finalKlDivergence.toFixed(4)}, mean log Q(y|a,x) of its records ${meanLogProbability.before.toFixed(2)} → ${meanLogProbability.after.toFixed(2)}`,
    );
    return {
      model,
      summary: {
        prompts: summary.records,
        responses: summary.responses,
        finalLoss: summary.finalLoss,
        finalKlDivergence: summary.finalKlDivergence,
        seconds: (performance.now() - roundStarted) / 1000,
        meanLogProbability,
      },
    };
  };

  let result = previous;
  if (result === undefined) {
    // (a) SteerLM 1: the demo's bootstrap round, sampled from the SFT model, trained into a copy of it.
    const steerlm1 = await DecoderModel.load(sftFolder);
    const started1 = performance.now();
    const bootstrap = await runBootstrapRound({
      model: sftModel,
      scorer: apm.predictor,
      annotated,
      prompts: roundPrompts,
      output: join(folder, 'steerlm1.jsonl'),
      seed: settings.seed,
      temperature: settings.temperature,
      batchSize: settings.generationBatchSize,
      maxTokens: MAX_NEW_TOKENS,
    });
    const replay = annotated.slice(0, Math.max(bootstrap.conversations.length, settings.batchSize));
    const summary1 = await trainDemoModel(steerlm1, tokenizer, [...bootstrap.conversations, ...replay], {
      steps: sizes.roundSteps,
      batchSize: settings.batchSize,
      ...round,
    });
    const seconds1 = (performance.now() - started1) / 1000;
    lap(`SteerLM 1 round: ${bootstrap.conversations.length} samples, ${sizes.roundSteps} steps, final loss ${summary1.finalLoss.toFixed(3)}`);

    // (b) SteerLM 2.0: n responses per prompt from the SFT model (policy Q' and reference P(y|x)), weights
    // from the APM's label probabilities and the records' log-probabilities, the weighted objective.
    const promptCount = Math.max(1, Math.floor(sizes.roundSamples / sizes.samplesPerPrompt));
    const prompts: BootstrapPrompt[] = roundPrompts.slice(0, promptCount).map((prompt, index) => ({
      id: `steerlm2-${index}`,
      system: STEERBENCH_SYSTEM_PROMPT,
      turns: [{ role: 'user', text: prompt.question }],
    }));
    const combinations = await collectAttributeCombinations(annotated, { schema: STEERBENCH_SCHEMA, filter: topValueFilter('quality') });
    await rm(recordsFile, { force: true });
    const batching = new BatchingLanguageModel(sftModel, {
      batchSize: settings.generationBatchSize,
      expectedRequests: prompts.length * sizes.samplesPerPrompt,
    });
    const generated = performance.now();
    await generateSteerLM2Data({
      prompts,
      combinations,
      policy: batching,
      reference: batching,
      scorer,
      output: recordsFile,
      samplesPerPrompt: sizes.samplesPerPrompt,
      seed: settings.seed,
      schema: STEERBENCH_SCHEMA,
      // Every prompt in flight at once, so the batching model fills whole, reproducible batches.
      concurrency: prompts.length,
      sampling: { temperature: settings.temperature, topK: 50, maxTokens: MAX_NEW_TOKENS },
    });
    const generationSeconds = (performance.now() - generated) / 1000;
    const round2 = await trainRound2(round.learningRate);
    const steerlm2 = round2.model;

    const evaluations: Record<string, ModelEvaluation> = {};
    const models: Record<BenchModel, DecoderModel> = { sft, steerlm1, steerlm2 };
    for (const name of BENCH_MODELS) evaluations[name] = await evaluate(name, models[name]);
    steerlm1.dispose();
    steerlm2.dispose();
    result = {
      seed,
      options: settings,
      sizes,
      sftFinalLoss,
      steerlm1: {
        samples: bootstrap.conversations.length,
        trainedOn: bootstrap.conversations.length + replay.length,
        finalLoss: summary1.finalLoss,
        seconds: seconds1,
      },
      steerlm2: { ...round2.summary, seconds: round2.summary.seconds + generationSeconds },
      roundLearningRate: round.learningRate,
      steerlm2Variants: {},
      evaluations,
      seconds: 0,
    };
  }

  // SteerLM 2.0 on the same records at other learning rates (added to a finished seed on a rerun).
  const variants = { ...(result.steerlm2Variants ?? {}) };
  const evaluations = { ...result.evaluations };
  for (const learningRate of learningRates) {
    const name = steerlm2Variant(learningRate);
    if (evaluations[name] !== undefined) continue;
    const trained = await trainRound2(learningRate);
    evaluations[name] = await evaluate(name, trained.model);
    variants[name] = { ...trained.summary, learningRate };
    trained.model.dispose();
  }
  sft.dispose();
  const finished: SeedResult = {
    ...result,
    roundLearningRate: result.roundLearningRate ?? round.learningRate,
    steerlm2Variants: variants,
    evaluations,
    seconds: (result.seconds ?? 0) + (performance.now() - started) / 1000,
  };
  await writeFile(join(folder, 'result.json'), `${JSON.stringify(finished)}\n`);
  return finished;
}
