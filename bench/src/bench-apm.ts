/**
 * The attribute predictor benchmark: trains on oasst1 messages and reports, per attribute, MAE on 0..4,
 * Pearson, Spearman and exact-bin accuracy beside two baselines (training mean, response length alone).
 * Usage: npm run bench:apm -- --train FILE [--eval FILE] [--featurizer NAME] [--seed N]
 * Without --eval, a seeded split by conversation tree holds 20% of --train out. The last line printed is one JSON object.
 */
import { parseArgs } from 'node:util';
import { clampToScale, partitionByGroup } from '@steerlm/core';
import { AttributePredictor, createFeaturizerByName } from '@steerlm/attribute-regressor';
import { BENCH_ATTRIBUTES, BENCH_SCHEMA, binnedLabels, continuousTargets } from './apm/bench-schema';
import { attributeMetrics, pearson, spearman, type AttributeMetrics } from './apm/metrics';
import { cachedFeatures } from './apm/feature-cache';
import { readOasstAssistantItems, type OasstAssistantItem } from './apm/oasst-messages';

const { values: args } = parseArgs({
  options: {
    train: { type: 'string' },
    eval: { type: 'string' },
    featurizer: { type: 'string', default: 'use-lite+text-statistics' },
    seed: { type: 'string', default: '0' },
    'eval-fraction': { type: 'string', default: '0.2' },
    'hidden-units': { type: 'string', default: '0' },
    'feature-cache': { type: 'string' },
    'balance-blocks': { type: 'string', default: 'true' },
  },
});
if (!args.train) {
  console.error('usage: npm run bench:apm -- --train FILE [--eval FILE] [--featurizer NAME] [--seed N]');
  process.exit(2);
}
const seed = Number(args.seed);
const log = (line: string) => console.log(line);

const all = await readOasstAssistantItems(args.train);
let trainItems: OasstAssistantItem[];
let evalItems: OasstAssistantItem[];
if (args.eval) {
  trainItems = all;
  evalItems = await readOasstAssistantItems(args.eval);
} else {
  const split = partitionByGroup(all, { key: (item) => item.treeId, validationFraction: Number(args['eval-fraction']), seed: seed + 1000 });
  trainItems = split.train;
  evalItems = split.validation;
}
log(`train ${trainItems.length} assistant messages (${new Set(trainItems.map((item) => item.treeId)).size} trees), eval ${evalItems.length} (${new Set(evalItems.map((item) => item.treeId)).size} trees)`);

const featurizer = createFeaturizerByName(args.featurizer!);
const trainStarted = performance.now();
// Training features may come from a cache file (--feature-cache) to iterate quickly; the annotation
// throughput below always featurizes the evaluation rows afresh.
const trainFeatures = await cachedFeatures(featurizer, trainItems, args['feature-cache']);
const predictor = AttributePredictor.trainFromFeatures(
  { features: trainFeatures.vectors, labels: trainItems.map((item) => continuousTargets(item.labels)), groups: trainItems.map((item) => item.treeId) },
  { schema: BENCH_SCHEMA, featurizer, seed, hiddenUnits: args['hidden-units']!.split(',').map(Number), balanceBlocks: args['balance-blocks'] !== 'false' },
  { featurizeMs: trainFeatures.featurizeMs },
);
const trainSeconds = (performance.now() - trainStarted) / 1000;
const report = predictor.trainingReport!;
log(
  `featurizer ${featurizer.id}: trained in ${trainSeconds.toFixed(1)} s (featurize ${(trainFeatures.featurizeMs / 1000).toFixed(1)} s, ${trainFeatures.cached} vectors from cache); chose ${JSON.stringify({ hiddenUnits: report.hiddenUnits, weightDecay: report.weightDecay, ridgeAlphas: report.ridgeAlphas, bestEpoch: report.bestEpoch, validationLoss: report.validationLoss, crossValidationLoss: report.crossValidationLoss })}`,
);

const annotateStarted = performance.now();
const scores = await predictor.predict(evalItems.map((item) => item.input));
const annotateSeconds = (performance.now() - annotateStarted) / 1000;
const recordsPerSecond = evalItems.length / annotateSeconds;

// Baselines fitted on the training rows: the mean, and a least-squares line on log response length.
const logLength = (item: OasstAssistantItem) => Math.log1p(item.input.response.length);
type Row = Record<string, unknown>;
const results: Record<string, { model: AttributeMetrics; mean: AttributeMetrics; length: AttributeMetrics }> = {};
for (const name of BENCH_ATTRIBUTES) {
  const definition = BENCH_SCHEMA.get(name)!;
  const trainRows = trainItems.filter((item) => continuousTargets(item.labels)[name] !== undefined);
  const x = trainRows.map(logLength);
  const y = trainRows.map((item) => continuousTargets(item.labels)[name]!);
  const meanX = x.reduce((sum, value) => sum + value, 0) / x.length;
  const meanY = y.reduce((sum, value) => sum + value, 0) / y.length;
  let covariance = 0;
  let variance = 0;
  x.forEach((value, index) => {
    covariance += (value - meanX) * (y[index]! - meanY);
    variance += (value - meanX) ** 2;
  });
  const slope = variance === 0 ? 0 : covariance / variance;
  const evalRows = evalItems.map((item, index) => ({ item, index })).filter(({ item }) => binnedLabels(item.labels)[name] !== undefined);
  const truth = evalRows.map(({ item }) => binnedLabels(item.labels)[name]!);
  const continuous = evalRows.map(({ index }) => scores[index]!.values[name]!);
  const rounded = evalRows.map(({ index }) => scores[index]!.rounded[name]!);
  const lengthPrediction = evalRows.map(({ item }) => meanY + slope * (logLength(item) - meanX));
  results[name] = {
    model: attributeMetrics(truth, continuous, rounded),
    mean: attributeMetrics(truth, truth.map(() => meanY), truth.map(() => clampToScale(meanY, definition))),
    length: attributeMetrics(truth, lengthPrediction, lengthPrediction.map((value) => clampToScale(value, definition))),
  };
}
const toxicityRows = evalItems.filter((item) => item.detoxifyToxicity !== undefined && binnedLabels(item.labels).toxicity !== undefined);
const detoxify = {
  rows: toxicityRows.length,
  pearson: pearson(toxicityRows.map((item) => item.detoxifyToxicity!), toxicityRows.map((item) => binnedLabels(item.labels).toxicity!)),
  spearman: spearman(toxicityRows.map((item) => item.detoxifyToxicity!), toxicityRows.map((item) => binnedLabels(item.labels).toxicity!)),
};

const format = (value: number) => (Number.isNaN(value) ? '  n/a' : value.toFixed(3).padStart(6));
log('');
log('attribute        rows |   model: MAE  Pearson Spearman  exact |  mean: MAE  exact | length: MAE Spearman  exact');
for (const name of BENCH_ATTRIBUTES) {
  const { model, mean, length } = results[name]!;
  log(
    `${name.padEnd(16)} ${String(model.rows).padStart(4)} | ${format(model.mae)} ${format(model.pearson)} ${format(model.spearman)} ${format(model.exactAccuracy)} | ${format(mean.mae)} ${format(mean.exactAccuracy)} | ${format(length.mae)} ${format(length.spearman)} ${format(length.exactAccuracy)}`,
  );
}
log(`Detoxify score vs human toxicity on these rows: Pearson ${format(detoxify.pearson)}, Spearman ${format(detoxify.spearman)}`);
log(`annotation throughput: ${recordsPerSecond.toFixed(1)} records/s (featurize + predict, CPU)`);
const goals = {
  qualitySpearman: { target: 0.5, value: results.quality!.model.spearman },
  helpfulnessSpearman: { target: 0.45, value: results.helpfulness!.model.spearman },
  toxicityPearson: { target: 0.4, value: results.toxicity!.model.pearson },
};
const summary: Row = {
  bench: 'apm',
  featurizer: featurizer.id,
  train: { file: args.train, rows: trainItems.length },
  eval: { file: args.eval ?? `${args.train} (tree-wise ${args['eval-fraction']} split, seed ${seed + 1000})`, rows: evalItems.length },
  training: { seconds: trainSeconds, cachedVectors: trainFeatures.cached, ...report },
  annotationRecordsPerSecond: recordsPerSecond,
  attributes: results,
  detoxify,
  goals: Object.fromEntries(Object.entries(goals).map(([key, goal]) => [key, { ...goal, met: goal.value >= goal.target }])),
};
await featurizer.dispose?.();
console.log(JSON.stringify(summary));
