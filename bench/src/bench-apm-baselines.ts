/**
 * The APM against its two baselines (issue #19): K-fold cross-fitting by conversation tree over an oasst1
 * message file, MAE of bins of the default head (and of variants) beside the training folds' median and
 * a least-squares line on log(1 + response characters) fitted on the training folds (clamped, rounded).
 * Labels are the NeMo bins (round(v · 4), ties to even) of quality, toxicity, humor and creativity, on 0..4.
 *
 *   npm run bench:apm-baselines -- --train FILE [--featurizer NAME] [--seeds 0,1] [--folds 5]
 *     [--calibrate off,auto,all] [--block-scales 'default;1,4,16,64'] (variants separated by ';') [--length-line off,on]
 *     [--feature-cache FILE] (vectors kept by featurizer id and message id; reused by later runs)
 *
 * Fold seed s: fold = ⌊groupHash(tree, 1000 + s) · K⌋; the model's seed is s. Every variant (calibrate ×
 * block scales × length line, the `lengthLine` option) is trained on the same folds. Each variant's MAE minus the length line's is printed with the
 * standard error of that difference (paired over the rows). The last line printed is one JSON object.
 */
import { parseArgs } from 'node:util';
import { clampToScale, defineAttributeSchema, groupHash, toBins } from '@steerlm/core';
import {
  AttributePredictor,
  createFeaturizerByName,
  DEFAULT_FEATURIZER_NAME,
  type AttributePredictorTrainOptions,
  type TrainingReport,
} from '@steerlm/attribute-regressor';
import { fitLine, logResponseLength } from './apm/baselines';
import { cachedFeatures } from './apm/feature-cache';
import { readOasstAssistantItems, type OasstAssistantItem } from './apm/oasst-messages';

const ATTRIBUTES = ['quality', 'toxicity', 'humor', 'creativity'] as const;
const SCHEMA = defineAttributeSchema({ attributes: ATTRIBUTES.map((name) => ({ name, min: 0, max: 4 })) });

const { values: args } = parseArgs({
  options: {
    train: { type: 'string' },
    featurizer: { type: 'string', default: DEFAULT_FEATURIZER_NAME },
    seeds: { type: 'string', default: '0,1' },
    folds: { type: 'string', default: '5' },
    calibrate: { type: 'string', default: 'off,auto' },
    'block-scales': { type: 'string', default: 'default' },
    'length-line': { type: 'string', default: 'off' },
    'feature-cache': { type: 'string' },
  },
});
if (!args.train) {
  console.error(
    'usage: npm run bench:apm-baselines -- --train FILE [--featurizer NAME] [--seeds 0,1] [--folds 5] [--calibrate off,auto,all] [--block-scales default;1,4,16,64] [--length-line off,on] [--feature-cache FILE]',
  );
  process.exit(2);
}
const folds = Number(args.folds);
const seeds = args.seeds!.split(',').map(Number);
const calibrations = args.calibrate!.split(',').map((value) => (value === 'off' ? false : value === 'all' ? true : ('auto' as const)));
// Variants of the block scales, separated by ';' (each a comma list, or 'default' for the library's default).
const blockScaleVariants = args['block-scales']!.split(';').map((value) => (value === 'default' ? undefined : value.split(',').map(Number)));
const lengthLines = args['length-line']!.split(',').map((value) => value === 'on');
const featurizer = createFeaturizerByName(args.featurizer!);

const bins = (item: OasstAssistantItem): Record<string, number> => {
  const result: Record<string, number> = {};
  for (const name of ATTRIBUTES) {
    const value = item.labels[name];
    if (typeof value === 'number' && Number.isFinite(value)) result[name] = toBins(value, 5);
  }
  return result;
};
const medianOf = (values: number[]) => {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const items = (await readOasstAssistantItems(args.train)).filter((item) => Object.keys(bins(item)).length > 0);
const started = performance.now();
const featurized = await cachedFeatures(featurizer, items, args['feature-cache']);
const vectors = new Map<string, Float32Array>(items.map((item, index) => [item.messageId, featurized.vectors[index]!]));
console.log(
  `${items.length} labelled assistant messages featurized with ${featurizer.id} in ${(featurized.featurizeMs / 1000).toFixed(1)} s (${featurized.cached} from the cache)`,
);

type Errors = Record<string, number[]>;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const emptyErrors = (): Errors => Object.fromEntries(ATTRIBUTES.map((name) => [name, []]));
const variantName = (calibrate: boolean | 'auto', scales: number[] | undefined, lengthLine: boolean) =>
  `calibrate ${calibrate === false ? 'off' : calibrate === true ? 'all' : 'auto'}, block scales ${scales ? scales.join(',') : 'default'}${lengthLine ? ', length line' : ''}`;
// Every variant: block scales × calibration × length line.
const variants = blockScaleVariants.flatMap((scales) =>
  calibrations.flatMap((calibrate) => lengthLines.map((lengthLine) => ({ scales, calibrate, lengthLine }))),
);
const results: Record<string, Record<string, Errors>> = {};
const chosen: Record<string, unknown[]> = {};
const standardErrors: Record<string, Record<string, { difference: number; standardError: number }>> = {};
for (const seed of seeds) {
  const errors: Record<string, Errors> = { median: emptyErrors(), length: emptyErrors() };
  const foldOf = (item: OasstAssistantItem) => Math.min(folds - 1, Math.floor(groupHash(item.treeId, 1000 + seed) * folds));
  for (let fold = 0; fold < folds; fold += 1) {
    const train = items.filter((item) => foldOf(item) !== fold);
    const test = items.filter((item) => foldOf(item) === fold);
    for (const name of ATTRIBUTES) {
      const labelled = train.filter((item) => bins(item)[name] !== undefined);
      const y = labelled.map((item) => bins(item)[name]!);
      const x = labelled.map(logResponseLength);
      const line = fitLine(x, y);
      const constant = medianOf(y);
      for (const item of test) {
        const label = bins(item)[name];
        if (label === undefined) continue;
        errors.median![name]!.push(Math.abs(clampToScale(constant, { min: 0, max: 4 }) - label));
        errors.length![name]!.push(Math.abs(clampToScale(line.predict(logResponseLength(item)), { min: 0, max: 4 }) - label));
      }
    }
    for (const { scales, calibrate, lengthLine } of variants) {
      const name = variantName(calibrate, scales, lengthLine);
      const options: AttributePredictorTrainOptions = {
        schema: SCHEMA,
        featurizer,
        seed,
        calibrate,
        ...(scales ? { ridgeBlockScales: scales } : {}),
        ...(lengthLine ? { lengthLine: true } : {}),
      };
      const predictor = AttributePredictor.trainFromFeatures(
        { features: train.map((item) => vectors.get(item.messageId)!), labels: train.map(bins), groups: train.map((item) => item.treeId) },
        options,
      );
      const report = predictor.trainingReport as unknown as TrainingReport;
      (chosen[`${name}, seed ${seed}`] ??= []).push({
        ridgeAlphas: report.ridgeAlphas,
        ridgeBlockScales: report.ridgeBlockScales,
        ...(lengthLine && report.calibration
          ? { lengthLine: Object.fromEntries(Object.entries(report.calibration).map(([attribute, map]) => [attribute, map.predictor === 'length-line'])) }
          : {}),
        trainMs: Math.round(report.trainMs),
      });
      const scores = predictor.predictFromFeatures(test.map((item) => vectors.get(item.messageId)!));
      errors[name] ??= emptyErrors();
      test.forEach((item, index) => {
        for (const attribute of ATTRIBUTES) {
          const label = bins(item)[attribute];
          if (label !== undefined) errors[name]![attribute]!.push(Math.abs(scores[index]!.rounded[attribute]! - label));
        }
      });
    }
    console.log(`seed ${seed}: fold ${fold + 1}/${folds} done (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  results[seed] = errors;
  for (const [name, byAttribute] of Object.entries(errors))
    console.log(`seed ${seed}: ${name.padEnd(40)} ${ATTRIBUTES.map((attribute) => `${attribute} ${mean(byAttribute[attribute]!).toFixed(3)}`).join(' | ')}`);
  // Each variant against the length line, row by row (the same rows in the same order): the difference and its standard error.
  for (const [name, byAttribute] of Object.entries(errors)) {
    if (name === 'median' || name === 'length') continue;
    const against = ATTRIBUTES.map((attribute) => {
      const differences = byAttribute[attribute]!.map((value, row) => value - errors.length![attribute]![row]!);
      const average = mean(differences);
      const variance = differences.reduce((sum, value) => sum + (value - average) ** 2, 0) / (differences.length - 1);
      (standardErrors[`${name}, seed ${seed}`] ??= {})[attribute] = { difference: average, standardError: Math.sqrt(variance / differences.length) };
      return `${attribute} ${average >= 0 ? '+' : ''}${average.toFixed(3)} ± ${Math.sqrt(variance / differences.length).toFixed(3)}`;
    });
    console.log(`seed ${seed}: ${`${name} − length`.padEnd(40)} ${against.join(' | ')}`);
  }
}

const summary: Record<string, Record<string, number[]>> = {};
for (const [seed, errors] of Object.entries(results)) {
  for (const [name, byAttribute] of Object.entries(errors)) {
    summary[name] ??= {};
    for (const attribute of ATTRIBUTES) (summary[name]![attribute] ??= [])[Number(seeds.indexOf(Number(seed)))] = mean(byAttribute[attribute]!);
  }
}
console.log('');
console.log(
  `MAE of bins, ${folds}-fold by tree, seeds ${seeds.join(' / ')} (rows: ${ATTRIBUTES.map((name) => `${name} ${results[seeds[0]!]!.median![name]!.length}`).join(', ')})`,
);
for (const [name, byAttribute] of Object.entries(summary)) {
  console.log(
    `${name.padEnd(44)} ${ATTRIBUTES.map((attribute) => `${attribute} ${byAttribute[attribute]!.map((value) => value.toFixed(3)).join(' / ')} (mean ${mean(byAttribute[attribute]!).toFixed(3)})`).join(' | ')}`,
  );
}
console.log(JSON.stringify({ bench: 'apm-baselines', featurizer: featurizer.id, folds, seeds, mae: summary, againstLength: standardErrors, chosen }));
