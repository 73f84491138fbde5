import { InvalidOptionError } from '@steerlm/core';

/** Fleiss' κ and the quantities it is made of. */
export interface FleissKappaResult {
  /** (P̄ − P̄e) / (1 − P̄e); null when P̄e = 1 (every rating in one category: agreement is undefined). */
  readonly kappa: number | null;
  /** Mean observed agreement over subjects, P̄. */
  readonly observedAgreement: number;
  /** Agreement expected by chance, P̄e = Σ p_j². */
  readonly expectedAgreement: number;
  /** The share of all ratings in each category, p_j. */
  readonly categoryProportions: readonly number[];
  /** The agreement on each subject, P_i. */
  readonly subjectAgreement: readonly number[];
  readonly subjects: number;
  readonly raters: number;
}

/**
 * Returns Fleiss' κ from a subjects × categories table of counts (`counts[i][j]` raters put subject
 * i in category j); every subject must have the same number of raters, at least two.
 */
export function fleissKappa(counts: readonly (readonly number[])[]): FleissKappaResult {
  if (counts.length === 0) throw new InvalidOptionError('Fleiss kappa needs at least one subject', { option: 'counts' });
  const categories = counts[0]!.length;
  if (categories < 1) throw new InvalidOptionError('Fleiss kappa needs at least one category', { option: 'counts' });
  const raters = counts[0]!.reduce((sum, count) => sum + count, 0);
  if (raters < 2) {
    throw new InvalidOptionError(`Fleiss kappa needs at least two ratings per subject, subject 0 has ${raters}`, { option: 'counts', field: 'counts[0]' });
  }
  const totals = new Array<number>(categories).fill(0);
  const subjectAgreement = counts.map((row, subject) => {
    if (row.length !== categories) {
      throw new InvalidOptionError(`subject ${subject} has ${row.length} categories, expected ${categories}`, {
        option: 'counts',
        field: `counts[${subject}]`,
      });
    }
    let rowTotal = 0;
    let pairs = 0;
    row.forEach((count, category) => {
      if (!Number.isInteger(count) || count < 0) {
        throw new InvalidOptionError(`count ${count} is not a non-negative integer`, { option: 'counts', field: `counts[${subject}][${category}]` });
      }
      rowTotal += count;
      pairs += count * (count - 1);
      totals[category]! += count;
    });
    if (rowTotal !== raters) {
      throw new InvalidOptionError(`subject ${subject} has ${rowTotal} ratings, expected ${raters} like subject 0`, {
        option: 'counts',
        field: `counts[${subject}]`,
        hint: 'Fleiss kappa needs the same number of raters for every subject',
      });
    }
    return pairs / (raters * (raters - 1));
  });
  const allRatings = counts.length * raters;
  const categoryProportions = totals.map((total) => total / allRatings);
  const observedAgreement = subjectAgreement.reduce((sum, value) => sum + value, 0) / counts.length;
  const expectedAgreement = categoryProportions.reduce((sum, proportion) => sum + proportion * proportion, 0);
  const kappa = expectedAgreement >= 1 - 1e-12 ? null : (observedAgreement - expectedAgreement) / (1 - expectedAgreement);
  return { kappa, observedAgreement, expectedAgreement, categoryProportions, subjectAgreement, subjects: counts.length, raters };
}

/**
 * Returns the subjects × categories count table of `ratings` (`ratings[i]` holds every rater's label
 * for subject i) and the category order used; labels not in `categories` are rejected.
 */
export function ratingsToCounts<Label extends string | number>(
  ratings: readonly (readonly Label[])[],
  categories?: readonly Label[],
): { counts: number[][]; categories: Label[] } {
  const order: Label[] = categories ? [...categories] : [...new Set(ratings.flat())].sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
  const position = new Map<Label, number>(order.map((label, index) => [label, index]));
  const counts = ratings.map((row, subject) => {
    const counted = new Array<number>(order.length).fill(0);
    row.forEach((label, rater) => {
      const index = position.get(label);
      if (index === undefined) {
        throw new InvalidOptionError(`rating ${JSON.stringify(label)} is not one of the categories ${JSON.stringify(order)}`, {
          option: 'ratings',
          field: `ratings[${subject}][${rater}]`,
        });
      }
      counted[index]! += 1;
    });
    return counted;
  });
  return { counts, categories: order };
}
