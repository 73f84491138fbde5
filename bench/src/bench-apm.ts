/**
 * The attribute predictor benchmark: trains on oasst1 messages and reports, per attribute, MAE on 0..4
 * (of the rounded predictions), Pearson and Spearman (of the continuous ones) and exact-bin accuracy,
 * beside two baselines fitted on the same training rows (training mean, response length alone).
 *
 *   npm run bench:apm -- --train FILE [--eval FILE] [--featurizer NAME] [--seed N] [--folds K]
 *
 * Without --eval, a seeded split by conversation tree holds 20% of --train out; with --folds K, every
 * tree is predicted once by a model trained on the other folds (cross-fitting: all rows are scored).
 * The last line printed is one JSON object.
 */
import { parseArgs } from 'node:util';
import { clampToScale, groupHash, partitionByGroup, type AttributeScore } from '@steerlm/core';
import { AttributePredictor, createFeaturizerByName, type TrainingReport } from '@steerlm/attribute-regressor';
import { baselinePredictions } from './apm/baselines';
import { BENCH_ATTRIBUTES, BENCH_SCHEMA, binnedLabels, continuousTargets } from './apm/bench-schema';
import { cachedFeatures } from './apm/feature-cache';
import { attributeMetrics, pearson, spearman, type AttributeMetrics } from './apm/metrics';
import { readOasstAssistantItems, type OasstAssistantItem } from './apm/oasst-messages';

const { values: args } = parseArgs({
  options: {
    train: { type: 'string' },
    eval: { type: 'string' },
    featurizer: { type: 'string', default: 'use-lite+text-statistics' },
    seed: { type: 'string', default: '0' },
    'eval-fraction': { type: 'string', default: '0.2' },
    folds: { type: 'string' },
    'hidden-units': { type: 'string', default: '0' },
    'feature-cache': { type: 'string' },
  },
});
if (!args.train) {
  console.error(
    'usage: npm run bench:apm -- --train FILE [--eval FILE] [--featurizer NAME] [--seed N] [--folds K] [--hidden-units 0,64] [--feature-cache FILE]',
  );
  process.exit(2);
}
const seed = Number(args.seed);
const log = (line: string) => console.log(line);
const featurizer = createFeaturizerByName(args.featurizer!);

/** One evaluation fold: the training items and the test items with their predictions. */
interface Fold {
  train: OasstAssistantItem[];
  test: OasstAssistantItem[];
  scores: AttributeScore[];
  report: TrainingReport;
}

const all = await readOasstAssistantItems(args.train);
const testItemsOf: OasstAssistantItem[][] = [];
const trainItemsOf: OasstAssistantItem[][] = [];
let protocol: string;
if (args.eval) {
  trainItemsOf.push(all);
  testItemsOf.push(await readOasstAssistantItems(args.eval));
  protocol = `train on ${args.train}, evaluate on ${args.eval}`;
} else if (args.folds) {
  const folds = Number(args.folds);
  const foldOf = (item: OasstAssistantItem) => Math.min(folds - 1, Math.floor(groupHash(item.treeId, seed + 1000) * folds));
  for (let fold = 0; fold < folds; fold += 1) {
    trainItemsOf.push(all.filter((item) => foldOf(item) !== fold));
    testItemsOf.push(all.filter((item) => foldOf(item) === fold));
  }
  protocol = `${folds}-fold cross-fitting by conversation tree over ${args.train} (seed ${seed + 1000})`;
} else {
  const split = partitionByGroup(all, { key: (item) => item.treeId, validationFraction: Number(args['eval-fraction']), seed: seed + 1000 });
  trainItemsOf.push(split.train);
  testItemsOf.push(split.validation);
  protocol = `tree-wise split of ${args.train}: ${args['eval-fraction']} of the trees held out (seed ${seed + 1000})`;
}
log(protocol);

// Features of every item once (cached across runs with --feature-cache); the held-out rows' features are
// computed with the training ones, so the annotation throughput is measured separately below.
const needed = new Map<string, OasstAssistantItem>();
for (const items of [...trainItemsOf, ...testItemsOf]) for (const item of items) needed.set(item.messageId, item);
const features = await cachedFeatures(featurizer, [...needed.values()], args['feature-cache']);
const vectorOf = new Map([...needed.keys()].map((id, index) => [id, features.vectors[index]!]));
log(`featurized ${needed.size} responses in ${(features.featurizeMs / 1000).toFixed(1)} s (${features.cached} from cache) with ${featurizer.id}`);

const folds: Fold[] = [];
let trainSeconds = 0;
for (let index = 0; index < trainItemsOf.length; index += 1) {
  const train = trainItemsOf[index]!;
  const test = testItemsOf[index]!;
  const started = performance.now();
  const predictor = AttributePredictor.trainFromFeatures(
    {
      features: train.map((item) => vectorOf.get(item.messageId)!),
      labels: train.map((item) => continuousTargets(item.labels)),
      groups: train.map((item) => item.treeId),
    },
    { schema: BENCH_SCHEMA, featurizer, seed, hiddenUnits: args['hidden-units']!.split(',').map(Number) },
  );
  trainSeconds += (performance.now() - started) / 1000;
  const report = predictor.trainingReport as unknown as TrainingReport;
  folds.push({ train, test, scores: predictor.predictFromFeatures(test.map((item) => vectorOf.get(item.messageId)!)), report });
  log(
    `fold ${index + 1}/${trainItemsOf.length}: train ${train.length} (${new Set(train.map((item) => item.treeId)).size} trees), test ${test.length} (${new Set(test.map((item) => item.treeId)).size} trees); chose ${JSON.stringify({ hiddenUnits: report.hiddenUnits, weightDecay: report.weightDecay, ridgeAlphas: report.ridgeAlphas, bestEpoch: report.bestEpoch })}`,
  );
}
const featurizeSecondsPerRecord = features.cached === needed.size ? undefined : features.featurizeMs / 1000 / (needed.size - features.cached);
const averageTrainRows = folds.reduce((sum, fold) => sum + fold.train.length, 0) / folds.length;
const trainingSeconds = trainSeconds / folds.length + (featurizeSecondsPerRecord ?? 0) * averageTrainRows;

// Annotation throughput: a fresh predictor scoring raw inputs end to end (featurize + predict) on CPU.
const throughputItems = testItemsOf[0]!.slice(0, 64);
const throughputPredictor = AttributePredictor.trainFromFeatures(
  { features: folds[0]!.train.map((item) => vectorOf.get(item.messageId)!), labels: folds[0]!.train.map((item) => continuousTargets(item.labels)) },
  { schema: BENCH_SCHEMA, featurizer, seed, refit: false, validationFraction: 0 },
);
const throughputStarted = performance.now();
await throughputPredictor.predict(throughputItems.map((item) => item.input));
const recordsPerSecond = throughputItems.length / ((performance.now() - throughputStarted) / 1000);

const results: Record<string, { model: AttributeMetrics; mean: AttributeMetrics; length: AttributeMetrics }> = {};
for (const name of BENCH_ATTRIBUTES) {
  const definition = BENCH_SCHEMA.get(name)!;
  const truth: number[] = [];
  const continuous: number[] = [];
  const rounded: number[] = [];
  const mean: number[] = [];
  const length: number[] = [];
  for (const fold of folds) {
    const baseline = baselinePredictions(name, fold.train, fold.test);
    fold.test.forEach((item, index) => {
      const label = binnedLabels(item.labels)[name];
      if (label === undefined) return;
      truth.push(label);
      continuous.push(fold.scores[index]!.values[name]!);
      rounded.push(fold.scores[index]!.rounded[name]!);
      mean.push(baseline.mean[index]!);
      length.push(baseline.length[index]!);
    });
  }
  results[name] = {
    model: attributeMetrics(truth, continuous, rounded),
    mean: attributeMetrics(
      truth,
      mean,
      mean.map((value) => clampToScale(value, definition)),
    ),
    length: attributeMetrics(
      truth,
      length,
      length.map((value) => clampToScale(value, definition)),
    ),
  };
}
const scored = folds.flatMap((fold) => fold.test);
const toxicityRows = scored.filter((item) => item.detoxifyToxicity !== undefined && binnedLabels(item.labels).toxicity !== undefined);
const detoxify = {
  rows: toxicityRows.length,
  pearson: pearson(
    toxicityRows.map((item) => item.detoxifyToxicity!),
    toxicityRows.map((item) => binnedLabels(item.labels).toxicity!),
  ),
  spearman: spearman(
    toxicityRows.map((item) => item.detoxifyToxicity!),
    toxicityRows.map((item) => binnedLabels(item.labels).toxicity!),
  ),
};

const format = (value: number) => (Number.isNaN(value) ? '   n/a' : value.toFixed(3).padStart(6));
log('');
log('attribute        rows |  model: MAE Pearson Spearman  exact |   mean: MAE  exact | length: MAE Spearman  exact');
for (const name of BENCH_ATTRIBUTES) {
  const { model, mean, length } = results[name]!;
  log(
    `${name.padEnd(16)} ${String(model.rows).padStart(4)} | ${format(model.mae)} ${format(model.pearson)} ${format(model.spearman)} ${format(model.exactAccuracy)} | ${format(mean.mae)} ${format(mean.exactAccuracy)} | ${format(length.mae)} ${format(length.spearman)} ${format(length.exactAccuracy)}`,
  );
}
log(`Detoxify score vs human toxicity on the scored rows (not an input): Pearson ${format(detoxify.pearson)}, Spearman ${format(detoxify.spearman)}`);
log(
  `training ${trainingSeconds.toFixed(1)} s per model (featurize ${averageTrainRows.toFixed(0)} rows + head); annotation ${recordsPerSecond.toFixed(1)} records/s (featurize + predict, CPU)`,
);
const goals = {
  qualitySpearman: { target: 0.5, value: results.quality!.model.spearman },
  helpfulnessSpearman: { target: 0.45, value: results.helpfulness!.model.spearman },
  toxicityPearson: { target: 0.4, value: results.toxicity!.model.pearson },
};
await featurizer.dispose?.();
console.log(
  JSON.stringify({
    bench: 'apm',
    featurizer: featurizer.id,
    protocol,
    rows: { train: averageTrainRows, scored: scored.length },
    training: {
      secondsPerModel: trainingSeconds,
      headSecondsPerModel: trainSeconds / folds.length,
      featurizeSeconds: features.featurizeMs / 1000,
      cachedVectors: features.cached,
      reports: folds.map((fold) => fold.report),
    },
    annotationRecordsPerSecond: recordsPerSecond,
    attributes: results,
    detoxify,
    goals: Object.fromEntries(Object.entries(goals).map(([key, goal]) => [key, { ...goal, met: goal.value >= goal.target }])),
  }),
);
