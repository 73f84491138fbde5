import { describe, expect, it } from 'vitest';
import { eloRatings, sequentialElo, type Battle } from './index';

/** An independent reference: the mean final online Elo over every permutation of the battles. */
function exhaustiveAverage(battles: readonly Battle[]): Record<string, number> {
  const totals: Record<string, number> = {};
  let count = 0;
  const permute = (rest: Battle[], chosen: Battle[]): void => {
    if (rest.length === 0) {
      const ratings: Record<string, number> = {};
      for (const battle of chosen) {
        const a = ratings[battle.modelA] ?? 1000;
        const b = ratings[battle.modelB] ?? 1000;
        const expectedA = 1 / (1 + Math.pow(10, (b - a) / 400));
        const scoreA = battle.winner === 'A' ? 1 : battle.winner === 'B' ? 0 : 0.5;
        ratings[battle.modelA] = a + 32 * (scoreA - expectedA);
        ratings[battle.modelB] = b - 32 * (scoreA - expectedA);
      }
      for (const [model, rating] of Object.entries(ratings)) totals[model] = (totals[model] ?? 0) + rating;
      count += 1;
      return;
    }
    rest.forEach((battle, index) => permute([...rest.slice(0, index), ...rest.slice(index + 1)], [...chosen, battle]));
  };
  permute([...battles], []);
  return Object.fromEntries(Object.entries(totals).map(([model, total]) => [model, total / count]));
}

describe('Elo', () => {
  it('matches hand-computed online updates', () => {
    expect(sequentialElo([{ modelA: 'x', modelB: 'y', winner: 'A' }])).toEqual({ x: 1016, y: 984 });
    expect(sequentialElo([{ modelA: 'x', modelB: 'y', winner: 'tie' }])).toEqual({ x: 1000, y: 1000 });
    // Second win: E = 1 / (1 + 10^((984 − 1016)/400)) = 0.5459..., step 32 × (1 − E) = 14.5305...
    const twice = sequentialElo([
      { modelA: 'x', modelB: 'y', winner: 'A' },
      { modelA: 'y', modelB: 'x', winner: 'B' },
    ]);
    expect(twice.x).toBeCloseTo(1016 + 32 * (1 - 1 / (1 + Math.pow(10, -32 / 400))), 9);
    expect(twice.x! + twice.y!).toBeCloseTo(2000, 9);
  });

  it('averages over random orderings to the exhaustive permutation mean', () => {
    const battles: Battle[] = [
      { modelA: 'a', modelB: 'b', winner: 'A' },
      { modelA: 'b', modelB: 'c', winner: 'A' },
      { modelA: 'c', modelB: 'a', winner: 'A' },
      { modelA: 'a', modelB: 'c', winner: 'tie' },
      { modelA: 'a', modelB: 'b', winner: 'A' },
    ];
    const reference = exhaustiveAverage(battles);
    const result = eloRatings(battles, { orderings: 10_000, bootstrapRounds: 0, seed: 3 });
    for (const rating of result.ratings) expect(Math.abs(rating.rating - reference[rating.model]!)).toBeLessThan(0.4);
    expect(result.ratings[0]!.model).toBe('a');
    expect(result.ratings.find((rating) => rating.model === 'a')).toMatchObject({ wins: 2, losses: 1, ties: 1, battles: 4 });
  });

  it('is reproducible with a seed and brackets the rating with its bootstrap interval', () => {
    const battles: Battle[] = [];
    for (let i = 0; i < 60; i += 1) {
      battles.push({ modelA: 'strong', modelB: 'weak', winner: i % 5 === 0 ? 'B' : 'A' });
      battles.push({ modelA: 'weak', modelB: 'middle', winner: i % 3 === 0 ? 'A' : i % 3 === 1 ? 'tie' : 'B' });
      battles.push({ modelA: 'middle', modelB: 'strong', winner: i % 4 === 0 ? 'A' : 'B' });
    }
    const options = { orderings: 500, bootstrapRounds: 200, seed: 11 };
    const first = eloRatings(battles, options);
    expect(eloRatings(battles, options)).toEqual(first);
    expect(first.ratings.map((rating) => rating.model)).toEqual(['strong', 'middle', 'weak']);
    for (const rating of first.ratings) {
      expect(rating.lower).toBeLessThan(rating.rating);
      expect(rating.upper).toBeGreaterThan(rating.rating);
    }
    const total = first.ratings.reduce((sum, rating) => sum + rating.rating, 0);
    expect(total).toBeCloseTo(3000, 6);
  });

  it('rejects empty input and self-battles', () => {
    expect(() => eloRatings([])).toThrow(/at least one battle/);
    expect(() => eloRatings([{ modelA: 'a', modelB: 'a', winner: 'A' }])).toThrow(/against itself/);
  });
});
