import { randomInteger, seededRandom, type RandomSource } from '@steerlm/core';
import { quantile } from '@steerlm/evaluators';

/** A statistic with its bootstrap percentile interval (all null when the statistic is undefined on the data). */
export interface Interval {
  readonly value: number | null;
  readonly low: number | null;
  readonly high: number | null;
  /** Resamples on which the statistic was defined (a constant resample has no Spearman ρ). */
  readonly defined: number;
}

export interface BootstrapIntervalOptions {
  /** Resamples drawn (default 1,000). */
  readonly resamples?: number;
  /** Two-sided coverage of the percentile interval (default 0.95). */
  readonly confidence?: number;
  /** Seeds the resampling (default 0); ignored when `random` is given. */
  readonly seed?: number;
  /** The random source (for tests); default `seededRandom(seed)`. */
  readonly random?: RandomSource;
}

/**
 * Returns `statistic` on all units and its stratified bootstrap percentile interval: each resample
 * draws, within every stratum (e.g. one training seed), as many units as it holds, with replacement
 * (strata in order, units drawn with `randomInteger(random, size)`), and computes `statistic` on the
 * concatenation. Units are what is resampled (e.g. prompts, each with every response to it), so a
 * paired difference between two models is one statistic over units that carry both.
 */
export function bootstrapInterval<Unit>(
  strata: readonly (readonly Unit[])[],
  statistic: (units: readonly Unit[]) => number | null,
  options: BootstrapIntervalOptions = {},
): Interval {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isSafeInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const random = options.random ?? seededRandom(options.seed ?? 0);
  const value = statistic(strata.flat());
  if (value === null || !Number.isFinite(value)) return { value: null, low: null, high: null, defined: 0 };
  const draws: number[] = [];
  const resample: Unit[] = [];
  for (let round = 0; round < resamples; round += 1) {
    resample.length = 0;
    for (const stratum of strata) for (let index = 0; index < stratum.length; index += 1) resample.push(stratum[randomInteger(random, stratum.length)]!);
    const drawn = statistic(resample);
    if (drawn !== null && Number.isFinite(drawn)) draws.push(drawn);
  }
  const tail = (1 - confidence) / 2;
  return {
    value,
    low: draws.length > 0 ? quantile(draws, tail) : null,
    high: draws.length > 0 ? quantile(draws, 1 - tail) : null,
    defined: draws.length,
  };
}
