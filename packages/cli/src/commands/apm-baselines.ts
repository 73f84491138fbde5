import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clampToScale, fitLeastSquaresLine } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { quantile } from '@steerlm/evaluators';

/** The MAE of the two trivial predictors a useful attribute model must beat, on the same labels. */
export interface BaselineErrors {
  /** Always predicting the fitted labels' median (the best constant for MAE on the labels it was fit on). */
  readonly constant: number;
  /**
   * A least-squares line on log(1 + response characters), clamped to the scale: the lower MAE of its values
   * and of its values rounded to the bins.
   */
  readonly length: number;
}

/** The two baselines as fitted on some labels: their median, and the least-squares line of the labels on log(1 + response characters). */
export interface FittedBaselines {
  readonly median: number;
  readonly line: { readonly meanX: number; readonly meanY: number; readonly slope: number };
}

/** Fits the constant and the length baseline on `labels` (paired with the responses' `lengths` in characters). */
export function fitBaselines(labels: readonly number[], lengths: readonly number[]): FittedBaselines {
  const { meanX, meanY, slope } = fitLeastSquaresLine(
    lengths.map((length) => Math.log1p(length)),
    labels,
  );
  return { median: quantile(labels, 0.5), line: { meanX, meanY, slope } };
}

/** Returns the MAE of `fitted` baselines on `labels` (paired with the responses' `lengths`); NaN for no labels. */
export function scoreBaselines(
  fitted: FittedBaselines,
  labels: readonly number[],
  lengths: readonly number[],
  scale: { min: number; max: number },
): BaselineErrors {
  const count = labels.length;
  if (count === 0) return { constant: Number.NaN, length: Number.NaN };
  const constant = labels.reduce((sum, label) => sum + Math.abs(label - fitted.median), 0) / count;
  const { meanX, meanY, slope } = fitted.line;
  const xs = lengths.map((length) => Math.log1p(length));
  const predict = (x: number): number => Math.min(scale.max, Math.max(scale.min, meanY + slope * (x - meanX)));
  const continuous = xs.reduce((sum, x, index) => sum + Math.abs(predict(x) - labels[index]!), 0) / count;
  const binned = xs.reduce((sum, x, index) => sum + Math.abs(clampToScale(predict(x), scale) - labels[index]!), 0) / count;
  return { constant, length: Math.min(continuous, binned) };
}

/**
 * Returns the MAE of the constant and the length baselines fit on `labels` and scored on them. Both are
 * fit on the labels they are scored on, so they are optimistic: a model that does not beat them has learnt
 * nothing a constant or the response length would not give.
 */
export function baselineErrors(labels: readonly number[], lengths: readonly number[], scale: { min: number; max: number }): BaselineErrors {
  if (labels.length === 0) return { constant: Number.NaN, length: Number.NaN };
  return scoreBaselines(fitBaselines(labels, lengths), labels, lengths, scale);
}

/**
 * The file `steerlm apm train` writes beside the predictor it saves: each attribute's baselines fit on the
 * training labels, so `steerlm apm eval` can score the model against what the same training data gives a
 * constant and a length line (the fair comparison), not only against baselines fit on the evaluated labels.
 */
export const TRAINING_BASELINES_FILE = 'training-baselines.json';
const FORMAT = 'steerlm-apm-training-baselines';

interface TrainingBaselinesJson {
  readonly format: typeof FORMAT;
  readonly version: 1;
  /** SHA-256 of the predictor's config.json when these were written: another predictor saved there later does not match. */
  readonly config_sha256: string;
  readonly attributes: Record<string, FittedBaselines & { readonly rows: number }>;
}

async function configDigest(folder: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(join(folder, 'config.json')))
    .digest('hex');
}

/** Fits every attribute's baselines on the labelled `responses` and writes them beside the predictor saved in `folder`. */
export async function writeTrainingBaselines(
  folder: string,
  attributes: readonly string[],
  responses: readonly { readonly labels: Readonly<Record<string, number | undefined>>; readonly responseCharacters: number }[],
): Promise<void> {
  const fitted: Record<string, FittedBaselines & { rows: number }> = {};
  for (const name of attributes) {
    const labels: number[] = [];
    const lengths: number[] = [];
    for (const response of responses) {
      const label = response.labels[name];
      if (label === undefined) continue;
      labels.push(label);
      lengths.push(response.responseCharacters);
    }
    if (labels.length > 0) fitted[name] = { ...fitBaselines(labels, lengths), rows: labels.length };
  }
  const body: TrainingBaselinesJson = { format: FORMAT, version: 1, config_sha256: await configDigest(folder), attributes: fitted };
  await writeTextFileAtomically(join(folder, TRAINING_BASELINES_FILE), `${JSON.stringify(body, null, 2)}\n`);
}

const isFinite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * Reads the training baselines beside the predictor in `folder`: `baselines` per attribute, or nothing (no
 * file: a predictor saved by the library or an older `apm train`), or `problem` saying why the file was not
 * used (unreadable, not this format, or written for another predictor than the one saved there now).
 */
export async function readTrainingBaselines(folder: string): Promise<{ baselines?: ReadonlyMap<string, FittedBaselines>; problem?: string }> {
  const file = join(folder, TRAINING_BASELINES_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `${file} could not be read (${(error as Error).message})` };
  }
  let parsed: Partial<TrainingBaselinesJson>;
  try {
    parsed = JSON.parse(text) as Partial<TrainingBaselinesJson>;
  } catch (error) {
    return { problem: `${file} is not JSON (${(error as Error).message}); train again with "steerlm apm train" to rewrite it` };
  }
  if (parsed?.format !== FORMAT || parsed.version !== 1 || typeof parsed.attributes !== 'object' || parsed.attributes === null) {
    return { problem: `${file} is not a version-1 ${FORMAT} file; train again with "steerlm apm train" to rewrite it` };
  }
  if (parsed.config_sha256 !== (await configDigest(folder).catch(() => undefined))) {
    return {
      problem: `${file} was written for another predictor than the one in ${folder} now (its config.json changed); train again with "steerlm apm train"`,
    };
  }
  const baselines = new Map<string, FittedBaselines>();
  for (const [name, value] of Object.entries(parsed.attributes)) {
    const line = value?.line;
    if (!isFinite(value?.median) || !isFinite(line?.meanX) || !isFinite(line?.meanY) || !isFinite(line?.slope)) {
      return { problem: `${file}: field "attributes.${name}" needs a finite median and line { meanX, meanY, slope }; train again with "steerlm apm train"` };
    }
    baselines.set(name, { median: value.median, line: { meanX: line.meanX, meanY: line.meanY, slope: line.slope } });
  }
  return { baselines };
}
