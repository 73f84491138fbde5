import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ProgressTracker, type AttributeValues, type Conversation, type ProgressListener } from '@steerlm/core';
import { generateSteerBench, STEERBENCH_SCHEMA, steerBenchPrompts, type AdherenceResult } from '@steerlm/evaluators';
import { DecoderModel, LocalLanguageModel, selectBackend, tokenizeConversation } from '@steerlm/sft';
import { resolveDemoOptions, type DemoOptions } from './demo-options';
import type { DemoClaims, DemoResult, DemoStage, SteeringClaim } from './demo-result';
import { writeDemoReport } from './demo-report';
import { measureCorrectness, measureSteering, type DemoSampling } from './evaluate-demo-model';
import { relabelEvents } from './relabel-events';
import { runBootstrapRound } from './run-bootstrap-round';
import { saveDemoModel } from './save-demo-model';
import { steerBenchConversation } from './steerbench-conversations';
import { trainAttributeModel } from './train-attribute-model';
import { trainDemoTokenizer } from './train-demo-tokenizer';
import { trainInWorker, trainingWorkerFile } from './train-in-worker';
import { createDemoModel, trainDemoModel } from './train-language-model';

/** The stages of the demo, in order (the `demo` job's steps). */
export const DEMO_STAGES = Object.freeze([
  'data',
  'attribute-model',
  'tokenizer',
  'sft:conditioned',
  'sft:plain',
  'evaluate',
  'bootstrap',
  'evaluate:bootstrap',
  'report',
] as const);

/** The longest response decoded, in tokens (SteerBench responses stay below ~60). */
const MAX_NEW_TOKENS = 72;

/** The steered attributes whose Spearman ρ is a goal. */
const STEERED = ['verbosity', 'humor', 'toxicity'] as const;

function steeringClaims(adherence: AdherenceResult): Record<string, SteeringClaim> {
  return Object.fromEntries(
    adherence.attributes.map((entry) => [
      entry.attribute,
      { spearman: entry.spearman, curve: entry.curve.map((point) => point.meanMeasured), requested: entry.curve.map((point) => point.requested) },
    ]),
  );
}

/**
 * Runs the SteerBench demo end to end on the CPU and returns every measured number: generate data
 * (part labelled), train the APM and annotate the rest, train a BPE tokenizer and a tiny decoder with
 * conditioned SFT plus a plain-SFT baseline on the same responses, evaluate both with exact scorers,
 * run one bootstrap round, evaluate again, and write a JSON + HTML report into `outputDir`.
 */
export async function runDemo(options: DemoOptions = {}, hooks: { onEvent?: ProgressListener; onNote?: (line: string) => void } = {}): Promise<DemoResult> {
  const settings = resolveDemoOptions(options);
  const { signal, ...recorded } = settings;
  const onEvent = hooks.onEvent;
  const started = performance.now();
  const outputDir = resolve(settings.outputDir);
  await mkdir(outputDir, { recursive: true });
  const tracker = new ProgressTracker('demo', { total: DEMO_STAGES.length, unit: 'stages', listeners: [onEvent] });
  const stages: DemoStage[] = [];
  let stageStarted = performance.now();
  const endStage = (name: (typeof DEMO_STAGES)[number], metrics: Record<string, number> = {}) => {
    signal?.throwIfAborted();
    const seconds = (performance.now() - stageStarted) / 1000;
    stages.push({ name, seconds });
    tracker.step(stages.length, 1, { seconds, ...metrics });
    stageStarted = performance.now();
  };

  const backend = await selectBackend({ prefer: settings.backend });
  // The chosen backend is news, not a warning, unless a preferred one failed and another stood in.
  if (backend.fallbacksTried.length > 0) tracker.emit({ type: 'warning', job: 'demo', message: `backend ${backend.reason}` });
  else hooks.onNote?.(`backend ${backend.reason}`);

  // 1. Data: mixed-quality responses, a labelled share with annotator noise.
  const data = generateSteerBench({
    seed: settings.seed,
    size: settings.size,
    labeledFraction: settings.labeledFraction,
    labelNoise: settings.labelNoise,
    mixture: settings.mixture,
    facts: settings.facts,
  });
  const trainingCorrectness = data.examples.filter((example) => example.kind === 'correct').length / data.examples.length;
  endStage('data', { responses: data.examples.length, labeled: data.labeled.length });

  // 2. The attribute prediction model: trained on the labelled part, annotates the rest.
  const apm = await trainAttributeModel(data.labeled, data.unlabeled, {
    seed: settings.seed,
    ...(onEvent ? { onEvent: relabelEvents(onEvent, 'attribute-model')! } : {}),
    ...(signal ? { signal } : {}),
  });
  const labelOf = (index: number): AttributeValues => data.examples[index]!.label ?? apm.annotations[index - data.labeled.length]!;
  const annotated: Conversation[] = data.examples.map((example, index) => steerBenchConversation(example.question, example.response, labelOf(index)));
  const plain: Conversation[] = data.examples.map((example) => steerBenchConversation(example.question, example.response));
  endStage('attribute-model', { qualityMae: apm.quality.meanAbsoluteError.quality! });

  // 3. The tokenizer.
  const { tokenizer, tokenizerJson, tokenizerConfig } = await trainDemoTokenizer(data.examples, settings.vocabSize);
  const sampled = annotated.slice(0, 200).map((conversation) => tokenizeConversation(conversation, tokenizer, { schema: STEERBENCH_SCHEMA })?.ids.length ?? 0);
  const meanTokensPerConversation = sampled.reduce((sum, length) => sum + length, 0) / Math.max(1, sampled.length);
  endStage('tokenizer', { vocabSize: tokenizer.vocabSize, meanTokens: meanTokensPerConversation });

  // 4–5. Conditioned SFT and the plain-SFT baseline: same responses, same initial weights.
  const modelSeed = settings.seed * 1000 + 7;
  const training = { batchSize: settings.batchSize, learningRate: settings.learningRate, seed: settings.seed, ...(signal ? { signal } : {}) };
  const conditioned = createDemoModel(settings.model, tokenizer.vocabSize, modelSeed);
  let baseline: DecoderModel | undefined;
  try {
    const plainEvents = onEvent ? relabelEvents(onEvent, 'sft:plain')! : undefined;
    const workerFile = trainingWorkerFile();
    // With the built package the baseline trains in a worker thread on the second core, beside the
    // conditioned run; from sources (tests) the two runs go one after another.
    const plainRun = workerFile
      ? trainInWorker(
          workerFile,
          {
            shape: settings.model,
            modelSeed,
            tokenizerJson,
            tokenizerConfig,
            conversations: plain,
            steps: settings.baselineSteps,
            batchSize: settings.batchSize,
            learningRate: settings.learningRate,
            seed: settings.seed,
            backend: backend.backend,
            folder: join(outputDir, 'plain-sft'),
          },
          { ...(plainEvents ? { onEvent: plainEvents } : {}), ...(signal ? { signal } : {}) },
        )
      : undefined;
    plainRun?.catch(() => undefined);
    const conditionedSummary = await trainDemoModel(conditioned, tokenizer, annotated, {
      ...training,
      steps: settings.sftSteps,
      ...(onEvent ? { onEvent: relabelEvents(onEvent, 'sft:conditioned')! } : {}),
    });
    endStage('sft:conditioned', { loss: conditionedSummary.finalLoss });
    let plainSummary;
    if (plainRun) {
      plainSummary = await plainRun;
      baseline = await DecoderModel.load(join(outputDir, 'plain-sft'));
    } else {
      baseline = createDemoModel(settings.model, tokenizer.vocabSize, modelSeed);
      plainSummary = await trainDemoModel(baseline, tokenizer, plain, {
        ...training,
        steps: settings.baselineSteps,
        ...(plainEvents ? { onEvent: plainEvents } : {}),
      });
    }
    endStage('sft:plain', { loss: plainSummary.finalLoss });
    // Both models are saved as folders the other commands take (generate, serve, eval).
    await saveDemoModel(join(outputDir, 'conditioned-sft'), { model: conditioned, tokenizerJson, tokenizerConfig, schema: STEERBENCH_SCHEMA });
    await saveDemoModel(join(outputDir, 'plain-sft'), { model: baseline!, weightsSaved: plainRun !== undefined, tokenizerJson, tokenizerConfig });

    // 6. Evaluation with the ground-truth scorers.
    const conditionedModel = new LocalLanguageModel(conditioned, tokenizer, { modelId: 'steerbench-conditioned-sft', engine: settings.engine });
    const plainModel = new LocalLanguageModel(baseline!, tokenizer, { modelId: 'steerbench-plain-sft', engine: settings.engine });
    hooks.onNote?.(`decode engine ${await conditionedModel.resolveEngine()}`);
    const correctnessPrompts = steerBenchPrompts({ count: settings.correctnessPrompts, seed: settings.seed + 1, facts: settings.facts });
    const steeringPrompts = steerBenchPrompts({ count: settings.steeringPrompts, seed: settings.seed + 2, facts: settings.facts });
    const bootstrapPrompts = steerBenchPrompts({ count: settings.bootstrapPrompts, seed: settings.seed + 3, facts: settings.facts });
    const top = { ...STEERBENCH_SCHEMA.defaults(), quality: STEERBENCH_SCHEMA.get('quality')!.max };
    const sampling = (job: string, offset: number): DemoSampling => {
      const progress = new ProgressTracker(job, { listeners: [onEvent], unit: 'responses' });
      let last = 0;
      return {
        temperature: settings.temperature,
        batchSize: settings.generationBatchSize,
        seed: settings.seed * 7919 + offset,
        maxTokens: MAX_NEW_TOKENS,
        ...(signal ? { signal } : {}),
        onBatch: (done, total) => {
          progress.step(done, done - last, { total });
          last = done;
          if (done === total) progress.end({ responses: total });
        },
      };
    };
    const conditionedCorrectness = await measureCorrectness(conditionedModel, correctnessPrompts, top, sampling('evaluate:correctness-conditioned', 1));
    const plainCorrectness = await measureCorrectness(plainModel, correctnessPrompts, undefined, sampling('evaluate:correctness-plain', 1));
    const steering = await measureSteering(conditionedModel, steeringPrompts, sampling('evaluate:steering', 2));
    endStage('evaluate', { conditioned: conditionedCorrectness.correctness, plain: plainCorrectness.correctness });

    // 7. One bootstrap round: sample at top quality, re-annotate with the APM, fine-tune on it.
    const round = await runBootstrapRound({
      model: conditionedModel,
      scorer: apm.predictor,
      annotated,
      prompts: bootstrapPrompts,
      output: join(outputDir, 'bootstrap.jsonl'),
      seed: settings.seed,
      temperature: settings.temperature,
      batchSize: settings.generationBatchSize,
      maxTokens: MAX_NEW_TOKENS,
      ...(onEvent ? { onEvent: relabelEvents(onEvent, 'bootstrap')! } : {}),
      ...(signal ? { signal } : {}),
    });
    let bootstrapFinalLoss: number | null = null;
    if (settings.bootstrapSteps > 0) {
      // The bootstrap samples mixed with as many original annotated records, so the round adds data rather than replacing it.
      const replay = annotated.slice(0, Math.max(round.conversations.length, settings.batchSize));
      const summary = await trainDemoModel(conditioned, tokenizer, [...round.conversations, ...replay], {
        ...training,
        steps: settings.bootstrapSteps,
        learningRate: settings.learningRate / 3,
        warmupSteps: 0,
        seed: settings.seed + 1,
        ...(onEvent ? { onEvent: relabelEvents(onEvent, 'sft:bootstrap')! } : {}),
      });
      bootstrapFinalLoss = summary.finalLoss;
    }
    endStage('bootstrap', { samples: round.conversations.length });

    // 8. The bootstrapped model, evaluated the same way.
    const bootstrappedModel = new LocalLanguageModel(conditioned, tokenizer, { modelId: 'steerbench-bootstrapped', engine: settings.engine });
    const bootstrappedCorrectness = await measureCorrectness(bootstrappedModel, correctnessPrompts, top, sampling('evaluate:correctness-bootstrapped', 1));
    const steeringAfterBootstrap = await measureSteering(bootstrappedModel, steeringPrompts, sampling('evaluate:steering-bootstrapped', 2));
    endStage('evaluate:bootstrap', { bootstrapped: bootstrappedCorrectness.correctness });

    // 9. Claims and report.
    const wallSeconds = (performance.now() - started) / 1000;
    const steeringClaim = steeringClaims(steering);
    const gainPoints = 100 * (conditionedCorrectness.correctness - plainCorrectness.correctness);
    const claims: DemoClaims = {
      seed: settings.seed,
      backend: backend.backend,
      wallSeconds,
      apm: {
        meanAbsoluteError: apm.quality.meanAbsoluteError,
        roundedMeanAbsoluteError: apm.quality.roundedMeanAbsoluteError,
        exactRate: apm.quality.exactRate,
        trainedOn: apm.quality.trainedOn,
        annotated: apm.quality.annotated,
      },
      correctness: {
        trainingData: trainingCorrectness,
        conditionedAtTopQuality: conditionedCorrectness.correctness,
        plainSft: plainCorrectness.correctness,
        gainPoints,
      },
      steering: steeringClaim,
      bootstrap: {
        samples: round.conversations.length,
        combinations: round.combinations,
        correctnessBefore: conditionedCorrectness.correctness,
        correctnessAfter: bootstrappedCorrectness.correctness,
        gainPoints: 100 * (bootstrappedCorrectness.correctness - conditionedCorrectness.correctness),
        steeringAfter: steeringClaims(steeringAfterBootstrap),
      },
      goals: {
        correctnessGain: { target: '>= 20 points', value: gainPoints, met: gainPoints >= 20 },
        ...Object.fromEntries(
          STEERED.map((name) => {
            const value = steeringClaim[name]?.spearman ?? null;
            return [`spearman.${name}`, { target: '>= 0.9', value, met: value !== null && value >= 0.9 }];
          }),
        ),
        wallTime: { target: '<= 600 s', value: wallSeconds, met: wallSeconds <= 600 },
      },
    };
    const result: Omit<DemoResult, 'report'> = {
      claims,
      options: recorded,
      stages,
      apm: apm.quality,
      tokenizer: { vocabSize: tokenizer.vocabSize, meanTokensPerConversation },
      models: {
        parameters: conditioned.parameterCount(),
        conditionedFinalLoss: conditionedSummary.finalLoss,
        plainFinalLoss: plainSummary.finalLoss,
        bootstrapFinalLoss,
        conditionedLossCurve: conditionedSummary.lossCurve,
        plainLossCurve: plainSummary.lossCurve,
      },
      steering,
      steeringAfterBootstrap,
      correctnessSamples: { conditioned: conditionedCorrectness.samples, plain: plainCorrectness.samples, bootstrapped: bootstrappedCorrectness.samples },
    };
    const report = await writeDemoReport(result, outputDir);
    endStage('report');
    tracker.end({ wallSeconds: (performance.now() - started) / 1000, report: report.html });
    return { ...result, report };
  } finally {
    conditioned.dispose();
    baseline?.dispose();
  }
}
