import { mean, meanAbsoluteError, spearmanCorrelation } from '@steerlm/evaluators';
import { bootstrapInterval, type Interval } from './bootstrap-interval';
import { BENCH_MODELS, type BenchModel, type SeedResult, type SteeringRecord } from './run-seed';

/** Which measurement of a response: the exact SteerBench scorer, or the APM's continuous prediction. */
export type Measure = 'truth' | 'apm';

/** One metric of one model: pooled over the seeds with its 95 % interval, and per seed. */
export interface MetricSummary extends Interval {
  readonly perSeed: (number | null)[];
}

export interface AttributeSummary {
  readonly meanAbsoluteError: Record<BenchModel, MetricSummary>;
  readonly spearman: Record<BenchModel, MetricSummary>;
  /** Paired differences (same prompts and sampling seeds): round − SFT start, SteerLM 2.0 − SteerLM 1. */
  readonly differences: Record<'steerlm1-sft' | 'steerlm2-sft' | 'steerlm2-steerlm1', { meanAbsoluteError: Interval; spearman: Interval }>;
}

export interface BenchSummary {
  readonly seeds: number[];
  readonly resamples: number;
  readonly measures: Record<Measure, Record<string, AttributeSummary>>;
  /** The share of correct answers at quality 4. */
  readonly correctness: Record<BenchModel, MetricSummary>;
}

/** One prompt of one seed: every model's records to it, by attribute. */
interface PromptUnit {
  readonly records: Record<BenchModel, Record<string, SteeringRecord[]>>;
}

const PAIRS = [
  ['steerlm1-sft', 'steerlm1', 'sft'],
  ['steerlm2-sft', 'steerlm2', 'sft'],
  ['steerlm2-steerlm1', 'steerlm2', 'steerlm1'],
] as const;

function promptUnits(result: SeedResult): PromptUnit[] {
  const units = new Map<number, PromptUnit>();
  for (const model of BENCH_MODELS) {
    for (const record of result.evaluations[model].steering) {
      let unit = units.get(record.prompt);
      if (!unit) {
        unit = { records: { sft: {}, steerlm1: {}, steerlm2: {} } };
        units.set(record.prompt, unit);
      }
      (unit.records[model][record.attribute] ??= []).push(record);
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
  const strata = results.map(promptUnits);
  const attributes = [...new Set(results.flatMap((result) => result.evaluations.sft.steering.map((record) => record.attribute)))];
  const interval = <Unit>(units: readonly (readonly Unit[])[], statistic: (chosen: readonly Unit[]) => number | null, salt: number) =>
    bootstrapInterval(units, statistic, { resamples: options.resamples, seed: options.seed * 1_000_003 + salt });
  let salt = 0;
  const measures = {} as Record<Measure, Record<string, AttributeSummary>>;
  for (const measure of ['truth', 'apm'] as const) {
    measures[measure] = {};
    for (const attribute of attributes) {
      const of = (units: readonly PromptUnit[], model: BenchModel) => units.flatMap((unit) => unit.records[model][attribute] ?? []);
      const summaryOf = (metric: Metric) =>
        Object.fromEntries(
          BENCH_MODELS.map((model) => {
            const statistic = (units: readonly PromptUnit[]) => metric(of(units, model), measure);
            return [model, { ...interval(strata, statistic, (salt += 1)), perSeed: strata.map((units) => statistic(units)) }];
          }),
        ) as Record<BenchModel, MetricSummary>;
      const difference = (metric: Metric, left: BenchModel, right: BenchModel) =>
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
          PAIRS.map(([name, left, right]) => [
            name,
            { meanAbsoluteError: difference(METRICS.meanAbsoluteError, left, right), spearman: difference(METRICS.spearman, left, right) },
          ]),
        ) as AttributeSummary['differences'],
      };
    }
  }
  const correctStrata = results.map((result) =>
    result.evaluations.sft.correct.map((_, prompt) => Object.fromEntries(BENCH_MODELS.map((model) => [model, result.evaluations[model].correct[prompt]!]))),
  );
  const correctness = Object.fromEntries(
    BENCH_MODELS.map((model) => {
      const statistic = (units: readonly Record<string, boolean>[]) => (units.length === 0 ? null : mean(units.map((unit) => (unit[model] ? 1 : 0))));
      return [model, { ...interval(correctStrata, statistic, (salt += 1)), perSeed: correctStrata.map((units) => statistic(units)) }];
    }),
  ) as Record<BenchModel, MetricSummary>;
  return { seeds: results.map((result) => result.seed), resamples: options.resamples, measures, correctness };
}

const LABELS: Record<BenchModel, string> = { sft: 'SFT start', steerlm1: 'SteerLM 1 round', steerlm2: 'SteerLM 2.0 round' };

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
      for (const model of BENCH_MODELS) {
        const mae = entry.meanAbsoluteError[model];
        const rho = entry.spearman[model];
        lines.push(
          `| ${attribute} | ${LABELS[model]} | ${withInterval(mae)} | ${mae.perSeed.map((value) => number(value, 3)).join(' / ')} | ${withInterval(rho)} | ${rho.perSeed.map((value) => number(value, 3)).join(' / ')} |`,
        );
      }
    }
    lines.push('', `Paired differences (${measure === 'truth' ? 'exact scorer' : 'APM'}): same prompts and sampling seeds; 95 % interval in brackets.`, '');
    lines.push(
      '| attribute | ΔMAE SteerLM 1 − SFT | ΔMAE SteerLM 2.0 − SFT | ΔMAE 2.0 − 1 | Δρ SteerLM 1 − SFT | Δρ SteerLM 2.0 − SFT | Δρ 2.0 − 1 |',
      '|---|---|---|---|---|---|---|',
    );
    for (const [attribute, entry] of Object.entries(summary.measures[measure])) {
      const d = entry.differences;
      lines.push(
        `| ${attribute} | ${signed(d['steerlm1-sft'].meanAbsoluteError)} | ${signed(d['steerlm2-sft'].meanAbsoluteError)} | ${signed(d['steerlm2-steerlm1'].meanAbsoluteError)} | ${signed(d['steerlm1-sft'].spearman)} | ${signed(d['steerlm2-sft'].spearman)} | ${signed(d['steerlm2-steerlm1'].spearman)} |`,
      );
    }
    lines.push('');
  }
  lines.push('Correct answers at quality 4 (exact scorer):', '', '| model | share correct | per seed |', '|---|---|---|');
  for (const model of BENCH_MODELS) {
    const entry = summary.correctness[model];
    lines.push(`| ${LABELS[model]} | ${withInterval(entry)} | ${entry.perSeed.map((value) => number(value, 3)).join(' / ')} |`);
  }
  return `${lines.join('\n')}\n`;
}
