import { clampToScale, OASST, type AttributeScore, type AttributeScorer, type ScoringInput } from '@steerlm/core';

/**
 * A deterministic attribute scorer for tests (OASST schema): quality grows with length, humor with
 * the word "cat", creativity with distinct letters; toxicity is 0.
 */
export const lengthScorer: AttributeScorer = {
  specificationVersion: 'v1',
  schema: OASST,
  async score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]> {
    return inputs.map(({ response }) => {
      const values = {
        quality: response.length / 10,
        toxicity: 0,
        humor: (response.match(/cat/g) ?? []).length * 1.3,
        creativity: new Set(response.replace(/[^a-z]/g, '')).size / 5,
      };
      const rounded = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, clampToScale(value, OASST.get(name)!)]));
      return { values, rounded };
    });
  },
};
