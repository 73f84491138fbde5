import { mean, meanAbsoluteError, spearmanCorrelation } from '@steerlm/evaluators';
import { bootstrapInterval, type Interval } from './bootstrap-interval';
import { BENCH_MODELS, type SeedResult, type SteeringRecord } from './run-seed';

/** Which measurement of a response: the exact SteerBench scorer, or the APM's continuous prediction. */
export type Measure = 'truth' | 'apm';

/** One metric of one model: pooled over the seeds with its 95 % interval, and per seed. */
export interface MetricSummary extends Interval {
  readonly perSeed: (number | null)[];
}

export interface AttributeSummary {
  /** By model (`sft`, `steerlm1`, `steerlm2`, then SteerLM 2.0 at other learning rates, `steerlm2@LR`). */
  readonly meanAbsoluteError: Record<string, MetricSummary>;
  readonly spearman: Record<string, MetricSummary>;
  /** Paired differences (same prompts and sampling seeds) `A-B`: each round − SFT start, each SteerLM 2.0 round − SteerLM 1. */
  readonly differences: Record<string, { meanAbsoluteError: Interval; spearman: Interval }>;
}

export interface BenchSummary {
  readonly seeds: number[];
  readonly resamples: number;
  /** The models compared, in table order. */
  readonly models: string[];
  readonly measures: Record<Measure, Record<string, AttributeSummary>>;
  /** The share of correct answers at quality 4, by model. */
  readonly correctness: Record<string, MetricSummary>;
}

/** One prompt of one seed: every model's records to it, by attribute. */
interface PromptUnit {
  readonly records: Record<string, Record<string, SteeringRecord[]>>;
}

/** The paired differences reported: every round against the SFT start, every SteerLM 2.0 round against SteerLM 1. */
function pairs(models: readonly string[]): [name: string, left: string, right: string][] {
  const rounds = models.filter((model) => model !== 'sft');
  return [
    ...rounds.map((model): [string, string, string] => [`${model}-sft`, model, 'sft']),
    ...rounds.filter((model) => model.startsWith('steerlm2')).map((model): [string, string, string] => [`${model}-steerlm1`, model, 'steerlm1']),
  ];
}

function promptUnits(result: SeedResult, models: readonly string[]): PromptUnit[] {
  const units = new Map<number, PromptUnit>();
  for (const model of models) {
    for (const record of result.evaluations[model]!.steering) {
      let unit = units.get(record.prompt);
      if (!unit) {
        unit = { records: Object.fromEntries(models.map((name) => [name, {}])) };
        units.set(record.prompt, unit);
      }
      (unit.records[model]![record.attribute] ??= []).push(record);
    }
  }
  return [...units.entries()].sort(([left], [right]) => left - right).map(([, unit]) => unit);
}

type Metric = (records: readonly SteeringRecord[], measure: Measure) => number | null;

const METRICS: Record<'meanAbsoluteError' | 'spearman', Metric> = {
  meanAbsoluteError: (records, measure) =>
    records.length === 0
      ? null
      : meanAbsoluteError(
          records.map((record) => record.requested),
          records.map((record) => record[measure]),
        ),
  spearman: (records, measure) =>
    spearmanCorrelation(
      records.map((record) => record.requested),
      records.map((record) => record[measure]),
    ),
};

/**
 * Returns per attribute and model the adherence MAE and Spearman ρ (requested vs measured), pooled over
 * the seeds, with stratified bootstrap 95 % intervals over prompts (each seed's prompts resampled within
 * that seed, every model's responses to a prompt kept together, so differences are paired), the per-seed
 * values, and the same for the share of correct answers at quality 4.
 */
export function summarizeSeeds(results: readonly SeedResult[], options: { resamples: number; seed: number }): BenchSummary {
  // The base models, then the SteerLM 2.0 variants every seed has, by learning rate (largest first).
  const variants = Object.keys(results[0]?.evaluations ?? {})
    .filter((model) => !(BENCH_MODELS as readonly string[]).includes(model) && results.every((result) => result.evaluations[model] !== undefined))
    .sort((left, right) => Number(right.split('@')[1]) - Number(left.split('@')[1]));
  const models = [...BENCH_MODELS, ...variants];
  const strata = results.map((result) => promptUnits(result, models));
  const attributes = [...new Set(results.flatMap((result) => result.evaluations.sft!.steering.map((record) => record.attribute)))];
  const interval = <Unit>(units: readonly (readonly Unit[])[], statistic: (chosen: readonly Unit[]) => number | null, salt: number) =>
    bootstrapInterval(units, statistic, { resamples: options.resamples, seed: options.seed * 1_000_003 + salt });
  let salt = 0;
  const measures = {} as Record<Measure, Record<string, AttributeSummary>>;
  for (const measure of ['truth', 'apm'] as const) {
    measures[measure] = {};
    for (const attribute of attributes) {
      const of = (units: readonly PromptUnit[], model: string) => units.flatMap((unit) => unit.records[model]![attribute] ?? []);
      const summaryOf = (metric: Metric) =>
        Object.fromEntries(
          models.map((model) => {
            const statistic = (units: readonly PromptUnit[]) => metric(of(units, model), measure);
            return [model, { ...interval(strata, statistic, (salt += 1)), perSeed: strata.map((units) => statistic(units)) }];
          }),
        ) as Record<string, MetricSummary>;
      const difference = (metric: Metric, left: string, right: string) =>
        interval(
          strata,
          (units) => {
            const [a, b] = [metric(of(units, left), measure), metric(of(units, right), measure)];
            return a === null || b === null ? null : a - b;
          },
          (salt += 1),
        );
      measures[measure][attribute] = {
        meanAbsoluteError: summaryOf(METRICS.meanAbsoluteError),
        spearman: summaryOf(METRICS.spearman),
        differences: Object.fromEntries(
          pairs(models).map(([name, left, right]) => [
            name,
            { meanAbsoluteError: difference(METRICS.meanAbsoluteError, left, right), spearman: difference(METRICS.spearman, left, right) },
          ]),
        ) as AttributeSummary['differences'],
      };
    }
  }
  const correctStrata = results.map((result) =>
    result.evaluations.sft!.correct.map((_, prompt) => Object.fromEntries(models.map((model) => [model, result.evaluations[model]!.correct[prompt]!]))),
  );
  const correctness = Object.fromEntries(
    models.map((model) => {
      const statistic = (units: readonly Record<string, boolean>[]) => (units.length === 0 ? null : mean(units.map((unit) => (unit[model] ? 1 : 0))));
      return [model, { ...interval(correctStrata, statistic, (salt += 1)), perSeed: correctStrata.map((units) => statistic(units)) }];
    }),
  ) as Record<string, MetricSummary>;
  return { seeds: results.map((result) => result.seed), resamples: options.resamples, models, measures, correctness };
}

const LABELS: Record<string, string> = { sft: 'SFT start', steerlm1: 'SteerLM 1 round', steerlm2: 'SteerLM 2.0 round' };

/** Returns a model's name in the tables: `steerlm2@0.0003` is "SteerLM 2.0 round, lr 0.0003". */
export function modelLabel(model: string): string {
  const [base, learningRate] = model.split('@');
  return learningRate === undefined ? (LABELS[model] ?? model) : `${LABELS[base!] ?? base}, lr ${learningRate}`;
}

const number = (value: number | null, digits: number) => (value === null ? '–' : value.toFixed(digits));
const withInterval = (interval: Interval, digits = 3) =>
  interval.value === null ? '–' : `${number(interval.value, digits)} [${number(interval.low, digits)}, ${number(interval.high, digits)}]`;
const signed = (interval: Interval, digits = 3) => {
  const show = (value: number | null) => (value === null ? '–' : `${value > 0 ? '+' : ''}${value.toFixed(digits)}`);
  return interval.value === null ? '–' : `${show(interval.value)} [${show(interval.low)}, ${show(interval.high)}]`;
};

/** Returns the markdown tables of a summary: per measure, MAE and ρ per attribute and model, then paired differences and correctness. */
export function summaryMarkdown(summary: BenchSummary): string {
  const lines: string[] = [];
  const seeds = summary.seeds.join(', ');
  for (const measure of ['truth', 'apm'] as const) {
    const title = measure === 'truth' ? 'measured by the exact SteerBench scorer' : 'measured by the APM (continuous predictions)';
    lines.push(`Adherence ${title}; pooled over seeds ${seeds}, 95 % bootstrap interval in brackets, per seed after it.`, '');
    lines.push('| attribute | model | MAE ↓ | per seed | Spearman ρ ↑ | per seed |', '|---|---|---|---|---|---|');
    for (const [attribute, entry] of Object.entries(summary.measures[measure])) {
      for (const model of summary.models) {
        const mae = entry.meanAbsoluteError[model]!;
        const rho = entry.spearman[model]!;
        lines.push(
          `| ${attribute} | ${modelLabel(model)} | ${withInterval(mae)} | ${mae.perSeed.map((value) => number(value, 3)).join(' / ')} | ${withInterval(rho)} | ${rho.perSeed.map((value) => number(value, 3)).join(' / ')} |`,
        );
      }
    }
    lines.push('', `Paired differences (${measure === 'truth' ? 'exact scorer' : 'APM'}): same prompts and sampling seeds; 95 % interval in brackets.`, '');
    lines.push('| attribute | difference | ΔMAE | Δρ |', '|---|---|---|---|');
    for (const [attribute, entry] of Object.entries(summary.measures[measure])) {
      for (const [name, difference] of Object.entries(entry.differences)) {
        const [left, right] = name.endsWith('-steerlm1') ? [name.slice(0, -'-steerlm1'.length), 'steerlm1'] : [name.slice(0, -'-sft'.length), 'sft'];
        lines.push(`| ${attribute} | ${modelLabel(left)} − ${modelLabel(right)} | ${signed(difference.meanAbsoluteError)} | ${signed(difference.spearman)} |`);
      }
    }
    lines.push('');
  }
  lines.push('Correct answers at quality 4 (exact scorer):', '', '| model | share correct | per seed |', '|---|---|---|');
  for (const model of summary.models) {
    const entry = summary.correctness[model]!;
    lines.push(`| ${modelLabel(model)} | ${withInterval(entry)} | ${entry.perSeed.map((value) => number(value, 3)).join(' / ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
