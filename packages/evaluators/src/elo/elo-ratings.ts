import { InvalidOptionError } from '@steerlm/core';
import { quantile } from '../statistics/descriptive';
import { randomInteger, seededRandom, shuffleInPlace, type RandomSource } from '@steerlm/core';
import type { Battle } from './battle';

export interface EloOptions {
  /** Every model's rating before its first battle (default 1000). */
  initialRating?: number;
  /** The update step K (default 32). */
  k?: number;
  /** How many random battle orderings the rating is averaged over (default 10,000). */
  orderings?: number;
  /** Seeds the orderings and the bootstrap (default 0). */
  seed?: number;
  /** How many bootstrap resamples of the battles give the interval (default 1,000; 0 for none). */
  bootstrapRounds?: number;
  /** How many random orderings each bootstrap resample is averaged over (default 10). */
  bootstrapOrderings?: number;
  /** The interval's coverage (default 0.95). */
  confidence?: number;
}

/** One model's rating with its bootstrap interval and battle record. */
export interface EloRating {
  readonly model: string;
  /** The mean over orderings of the final online Elo rating. */
  readonly rating: number;
  /** The lower end of the bootstrap percentile interval (equals `rating` when no bootstrap ran). */
  readonly lower: number;
  readonly upper: number;
  readonly battles: number;
  readonly wins: number;
  readonly losses: number;
  readonly ties: number;
}

export interface EloResult {
  /** Ratings from best to worst. */
  readonly ratings: readonly EloRating[];
  readonly battles: number;
  readonly orderings: number;
  readonly bootstrapRounds: number;
  readonly confidence: number;
  readonly k: number;
  readonly initialRating: number;
  readonly seed: number;
}

interface EncodedBattles {
  readonly models: string[];
  readonly first: Int32Array;
  readonly second: Int32Array;
  /** The first model's score: 1 win, 0 loss, 0.5 tie. */
  readonly score: Float64Array;
}

function encode(battles: readonly Battle[]): EncodedBattles {
  const index = new Map<string, number>();
  const models: string[] = [];
  const place = (model: string): number => {
    let found = index.get(model);
    if (found === undefined) {
      found = models.length;
      index.set(model, found);
      models.push(model);
    }
    return found;
  };
  const first = new Int32Array(battles.length);
  const second = new Int32Array(battles.length);
  const score = new Float64Array(battles.length);
  battles.forEach((battle, position) => {
    if (battle.modelA === battle.modelB) {
      throw new InvalidOptionError(`battle ${position} pits "${battle.modelA}" against itself`, { option: 'battles', field: `battles[${position}]` });
    }
    if (battle.winner !== 'A' && battle.winner !== 'B' && battle.winner !== 'tie') {
      throw new InvalidOptionError(`battle ${position} has winner ${JSON.stringify(battle.winner)}`, {
        option: 'battles',
        field: `battles[${position}].winner`,
        hint: 'use "A", "B" or "tie"; leave unparseable verdicts out',
      });
    }
    first[position] = place(battle.modelA);
    second[position] = place(battle.modelB);
    score[position] = battle.winner === 'A' ? 1 : battle.winner === 'B' ? 0 : 0.5;
  });
  return { models, first, second, score };
}

/** Adds to `totals` the final ratings of one online Elo pass over the battles in `order`. */
function accumulatePass(encoded: EncodedBattles, order: Int32Array, k: number, initialRating: number, totals: Float64Array): void {
  const ratings = new Float64Array(encoded.models.length).fill(initialRating);
  for (let position = 0; position < order.length; position += 1) {
    const battle = order[position]!;
    const first = encoded.first[battle]!;
    const second = encoded.second[battle]!;
    const expected = 1 / (1 + 10 ** ((ratings[second]! - ratings[first]!) / 400));
    const delta = k * (encoded.score[battle]! - expected);
    ratings[first]! += delta;
    ratings[second]! -= delta;
  }
  for (let model = 0; model < ratings.length; model += 1) totals[model]! += ratings[model]!;
}

/** Returns the mean final ratings over `orderings` random shuffles of the battles listed in `pool`. */
function averagedRatings(encoded: EncodedBattles, pool: Int32Array, orderings: number, k: number, initialRating: number, random: RandomSource): Float64Array {
  const totals = new Float64Array(encoded.models.length);
  const order = Int32Array.from(pool);
  const scratch = Array.from(order);
  for (let pass = 0; pass < orderings; pass += 1) {
    shuffleInPlace(scratch, random);
    order.set(scratch);
    accumulatePass(encoded, order, k, initialRating, totals);
  }
  for (let model = 0; model < totals.length; model += 1) totals[model]! /= orderings;
  return totals;
}

/**
 * Returns online Elo ratings from the battles in the given order (start `initialRating`, step `k`,
 * logistic base 10, scale 400) — one pass, no averaging.
 */
export function sequentialElo(battles: readonly Battle[], options: { k?: number; initialRating?: number } = {}): Record<string, number> {
  const encoded = encode(battles);
  const totals = new Float64Array(encoded.models.length);
  accumulatePass(
    encoded,
    Int32Array.from(battles, (_, index) => index),
    options.k ?? 32,
    options.initialRating ?? 1000,
    totals,
  );
  return Object.fromEntries(encoded.models.map((model, index) => [model, totals[index]!]));
}

function positiveInteger(value: number, option: string, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new InvalidOptionError(`${option} must be an integer ${allowZero ? '>= 0' : '>= 1'}, got ${value}`, { option });
  }
  return value;
}

/**
 * Returns Elo ratings as the SteerLM paper computes them — start 1000, K = 32, averaged over many
 * seeded random orderings of the battles — with percentile intervals from bootstrap resamples of the
 * battles, and each model's win/loss/tie record; sorted from best to worst.
 */
export function eloRatings(battles: readonly Battle[], options: EloOptions = {}): EloResult {
  const k = options.k ?? 32;
  const initialRating = options.initialRating ?? 1000;
  const orderings = positiveInteger(options.orderings ?? 10_000, 'orderings');
  const bootstrapRounds = positiveInteger(options.bootstrapRounds ?? 1_000, 'bootstrapRounds', true);
  const bootstrapOrderings = positiveInteger(options.bootstrapOrderings ?? 10, 'bootstrapOrderings');
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 0;
  if (!(confidence > 0 && confidence < 1)) throw new InvalidOptionError(`confidence must be in (0, 1), got ${confidence}`, { option: 'confidence' });
  if (!(k > 0)) throw new InvalidOptionError(`k must be positive, got ${k}`, { option: 'k' });
  if (battles.length === 0) throw new InvalidOptionError('Elo needs at least one battle', { option: 'battles' });

  const encoded = encode(battles);
  const random = seededRandom(seed);
  const all = Int32Array.from(battles, (_, index) => index);
  const point = averagedRatings(encoded, all, orderings, k, initialRating, random);

  const samples: number[][] = encoded.models.map(() => []);
  const resample = new Int32Array(battles.length);
  for (let round = 0; round < bootstrapRounds; round += 1) {
    for (let position = 0; position < resample.length; position += 1) resample[position] = randomInteger(random, battles.length);
    const ratings = averagedRatings(encoded, resample, bootstrapOrderings, k, initialRating, random);
    ratings.forEach((rating, model) => samples[model]!.push(rating));
  }

  const tail = (1 - confidence) / 2;
  const ratings: EloRating[] = encoded.models.map((model, index) => {
    let wins = 0;
    let losses = 0;
    let ties = 0;
    for (let battle = 0; battle < battles.length; battle += 1) {
      const side = encoded.first[battle] === index ? 1 : encoded.second[battle] === index ? 0 : -1;
      if (side === -1) continue;
      const score = encoded.score[battle]!;
      if (score === 0.5) ties += 1;
      else if ((score === 1) === (side === 1)) wins += 1;
      else losses += 1;
    }
    const rating = point[index]!;
    const sample = samples[index]!;
    return {
      model,
      rating,
      lower: sample.length > 0 ? quantile(sample, tail) : rating,
      upper: sample.length > 0 ? quantile(sample, 1 - tail) : rating,
      battles: wins + losses + ties,
      wins,
      losses,
      ties,
    };
  });
  ratings.sort((left, right) => right.rating - left.rating);
  return { ratings, battles: battles.length, orderings, bootstrapRounds, confidence, k, initialRating, seed };
}
