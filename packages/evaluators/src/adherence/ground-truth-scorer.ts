import {
  clampToScale,
  defineAttributeSchema,
  InvalidOptionError,
  type AttributeDefinition,
  type AttributeSchema,
  type AttributeScore,
  type AttributeScorer,
  type ScoringInput,
} from '@steerlm/core';
import { textStatistics, type TextStatistics } from '../text-statistics/text-statistics';

/** Measures one attribute of a response directly, on the attribute's scale (may be fractional). */
export type AttributeMeasure = (input: ScoringInput) => number;

/**
 * Returns an AttributeScorer that measures attributes with exact rules instead of a learned model —
 * a ground truth for adherence tests (e.g. verbosity from word count). Its schema holds only the
 * measured attributes, with their definitions from `schema`.
 */
export function createGroundTruthScorer(options: { schema: AttributeSchema; measures: Readonly<Record<string, AttributeMeasure>> }): AttributeScorer {
  const names = Object.keys(options.measures);
  if (names.length === 0) throw new InvalidOptionError('a ground-truth scorer needs at least one measure', { option: 'measures' });
  for (const name of names) {
    if (!options.schema.has(name)) {
      throw new InvalidOptionError(`measure "${name}" is not an attribute of the schema`, {
        option: 'measures',
        hint: `known attributes: ${options.schema.names.join(', ')}`,
      });
    }
  }
  // The measured attributes keep the source schema's order.
  const definitions: AttributeDefinition[] = options.schema.attributes.filter((definition) => names.includes(definition.name));
  const schema = defineAttributeSchema({ attributes: definitions });
  return {
    specificationVersion: 'v1',
    schema,
    async score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]> {
      return inputs.map((input) => {
        const values: Record<string, number> = {};
        const rounded: Record<string, number> = {};
        for (const definition of definitions) {
          const value = options.measures[definition.name]!(input);
          values[definition.name] = value;
          rounded[definition.name] = clampToScale(value, definition);
        }
        return { values, rounded };
      });
    },
  };
}

/** Returns `min` plus how many of the ascending `boundaries` the value reaches (a step function onto a scale). */
export function levelOf(value: number, boundaries: readonly number[], min = 0): number {
  let level = min;
  for (const boundary of boundaries) if (value >= boundary) level += 1;
  return level;
}

/**
 * Returns a measure that maps a text statistic of the response (words, characters, …) onto levels
 * by ascending boundaries: below the first is level `min`, reaching the k-th is `min + k`.
 */
export function textStatisticMeasure(statistic: Exclude<keyof TextStatistics, 'fleschKincaidGrade'>, boundaries: readonly number[], min = 0): AttributeMeasure {
  if (boundaries.some((boundary, index) => index > 0 && !(boundary > boundaries[index - 1]!))) {
    throw new InvalidOptionError('boundaries must be strictly increasing', { option: 'boundaries' });
  }
  return (input) => levelOf(textStatistics(input.response)[statistic], boundaries, min);
}
