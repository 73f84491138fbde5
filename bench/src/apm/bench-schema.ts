import { defineAttributeSchema, toBins } from '@steerlm/core';

/** The attributes the APM benchmark reports, all on oasst1's 0..4 scale (round(v * 4) of the [0, 1] labels). */
export const BENCH_ATTRIBUTES = Object.freeze(['quality', 'helpfulness', 'toxicity', 'humor', 'creativity', 'violence', 'not_appropriate'] as const);

/** The schema of the benchmark: the seven attributes on 0..4. */
export const BENCH_SCHEMA = defineAttributeSchema({ attributes: BENCH_ATTRIBUTES.map((name) => ({ name, min: 0, max: 4 })) });

/** Returns the continuous training targets (v * 4) of the benchmark attributes present in raw labels. */
export function continuousTargets(labels: Readonly<Record<string, number>>): Record<string, number> {
  const targets: Record<string, number> = {};
  for (const name of BENCH_ATTRIBUTES) {
    const value = labels[name];
    if (typeof value === 'number' && Number.isFinite(value)) targets[name] = value * 4;
  }
  return targets;
}

/** Returns the 0..4 bins (round(v * 4), ties to even) of the benchmark attributes present in raw labels. */
export function binnedLabels(labels: Readonly<Record<string, number>>): Record<string, number> {
  const bins: Record<string, number> = {};
  for (const name of BENCH_ATTRIBUTES) {
    const value = labels[name];
    if (typeof value === 'number' && Number.isFinite(value)) bins[name] = toBins(value, 5);
  }
  return bins;
}
