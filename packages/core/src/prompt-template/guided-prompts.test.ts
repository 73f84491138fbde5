import { describe, expect, it } from 'vitest';
import { InvalidAttributeError, InvalidOptionError } from '../errors';
import { conditionPrompt } from './condition-prompt';
import { guidedPrompts, interpolateAttributes, mixedPromptRows } from './guided-prompts';

const prompt = 'Tell me a joke.';
const label = (attributes: Record<string, number>) => conditionPrompt({ prompt, attributes });

describe('interpolateAttributes', () => {
  it('gives one corner of weight 1 for integer values', () => {
    expect(interpolateAttributes({ humor: 2, quality: 4 })).toEqual([{ attributes: { humor: 2, quality: 4 }, weight: 1 }]);
  });

  it('mixes the two neighbouring labels of one fractional value', () => {
    expect(interpolateAttributes({ humor: 2.25, quality: 4 })).toEqual([
      { attributes: { humor: 2, quality: 4 }, weight: 0.75 },
      { attributes: { humor: 3, quality: 4 }, weight: 0.25 },
    ]);
  });

  it('gives the 2^k corners multilinear weights for several fractional values', () => {
    const corners = interpolateAttributes({ humor: 2.5, toxicity: 0.25 });
    expect(corners).toEqual([
      { attributes: { humor: 2, toxicity: 0 }, weight: 0.5 * 0.75 },
      { attributes: { humor: 3, toxicity: 0 }, weight: 0.5 * 0.75 },
      { attributes: { humor: 2, toxicity: 1 }, weight: 0.5 * 0.25 },
      { attributes: { humor: 3, toxicity: 1 }, weight: 0.5 * 0.25 },
    ]);
  });

  it('rejects more than three fractional values, values outside the range and unknown names', () => {
    expect(() => interpolateAttributes({ humor: 0.5, toxicity: 0.5, quality: 0.5, creativity: 0.5 })).toThrow(/at most 3/);
    expect(() => interpolateAttributes({ humor: 4.5 })).toThrow(InvalidAttributeError);
    expect(() => interpolateAttributes({ humor: -0.5 })).toThrow(/outside 0..4/);
    expect(() => interpolateAttributes({ wit: 1.5 })).toThrow(/unknown attribute "wit"/);
    expect(() => interpolateAttributes({ humor: Number.NaN })).toThrow(InvalidAttributeError);
  });
});

describe('guidedPrompts', () => {
  it('is the conditionPrompt row alone at scale 1 and without guidance', () => {
    for (const guidance of [undefined, { scale: 1 }, { scale: 1, neutral: { humor: 0 } }]) {
      const result = guidedPrompts({ prompt, attributes: { humor: 3 }, ...(guidance ? { guidance } : {}) });
      expect(result).toEqual({ prompt: label({ humor: 3 }), mixPrompts: [], rows: [{ prompt: label({ humor: 3 }), weight: 1 }] });
    }
  });

  it('weights the conditioned row s and the unlabelled neutral row 1 − s', () => {
    const result = guidedPrompts({ prompt, attributes: { humor: 3 }, guidance: { scale: 2 } });
    expect(result.rows).toEqual([
      { prompt: label({ humor: 3 }), weight: 2 },
      { prompt: conditionPrompt({ prompt }), weight: -1 },
    ]);
    expect(result.prompt).toBe(label({ humor: 3 }));
    expect(result.mixPrompts).toEqual([{ prompt: conditionPrompt({ prompt }), weight: -1 }]);
  });

  it('puts the neutral values in place of the requested ones, keeping the others', () => {
    const result = guidedPrompts({ prompt, attributes: { humor: 3, quality: 4 }, guidance: { scale: 1.5, neutral: { humor: 0 } } });
    expect(result.rows).toEqual([
      { prompt: label({ humor: 3, quality: 4 }), weight: 1.5 },
      { prompt: label({ humor: 0, quality: 4 }), weight: -0.5 },
    ]);
  });

  it('decodes the neutral prompt alone at scale 0', () => {
    const result = guidedPrompts({ prompt, attributes: { humor: 3 }, guidance: { scale: 0, neutral: { humor: 1 } } });
    expect(result.rows).toEqual([{ prompt: label({ humor: 1 }), weight: 1 }]);
  });

  it('interpolates and guides together: corners weighted s·w, neutral 1 − s', () => {
    const result = guidedPrompts({ prompt, attributes: { humor: 2.5 }, guidance: { scale: 3, neutral: { humor: 0 } } });
    expect(result.rows).toEqual([
      { prompt: label({ humor: 2 }), weight: 1.5 },
      { prompt: label({ humor: 3 }), weight: 1.5 },
      { prompt: label({ humor: 0 }), weight: -2 },
    ]);
    expect(result.rows.reduce((sum, row) => sum + row.weight, 0)).toBe(1);
  });

  it('merges rows with the same text (a neutral label that is a corner) and drops those of weight 0', () => {
    // h2 + 2·(0.5·h2 + 0.5·h3 − h2) = h3
    const result = guidedPrompts({ prompt, attributes: { humor: 2.5 }, guidance: { scale: 2, neutral: { humor: 2 } } });
    expect(result.rows).toEqual([{ prompt: label({ humor: 3 }), weight: 1 }]);
    const three = guidedPrompts({ prompt, attributes: { humor: 2.5 }, guidance: { scale: 3, neutral: { humor: 2 } } });
    expect(three.rows).toEqual([
      { prompt: label({ humor: 2 }), weight: 1.5 - 2 },
      { prompt: label({ humor: 3 }), weight: 1.5 },
    ]);
  });

  it('rejects a non-finite scale and a bad label even when its weight is 0', () => {
    expect(() => guidedPrompts({ prompt, attributes: { humor: 3 }, guidance: { scale: Number.POSITIVE_INFINITY } })).toThrow(InvalidOptionError);
    expect(() => guidedPrompts({ prompt, attributes: { humor: 9 }, guidance: { scale: 0 } })).toThrow(/outside 0..4/);
  });
});

describe('mixedPromptRows', () => {
  it('gives the prompt weight 1 − Σ wᵢ first and drops rows of weight 0', () => {
    expect(mixedPromptRows('c', undefined)).toEqual([{ prompt: 'c', weight: 1 }]);
    expect(mixedPromptRows('c', [{ prompt: 'n', weight: -1 }])).toEqual([
      { prompt: 'c', weight: 2 },
      { prompt: 'n', weight: -1 },
    ]);
    expect(mixedPromptRows('c', [{ prompt: 'n', weight: 1 }])).toEqual([{ prompt: 'n', weight: 1 }]);
    expect(mixedPromptRows('c', [{ prompt: 'n', weight: 0 }])).toEqual([{ prompt: 'c', weight: 1 }]);
  });

  it('rejects non-finite weights, non-string prompts and too many prompts', () => {
    expect(() => mixedPromptRows('c', [{ prompt: 'n', weight: Number.NaN }])).toThrow(/mixPrompts\[0\] must be/);
    expect(() => mixedPromptRows('c', [{ prompt: 3 as unknown as string, weight: 1 }])).toThrow(InvalidOptionError);
    expect(() =>
      mixedPromptRows(
        'c',
        Array.from({ length: 17 }, () => ({ prompt: 'n', weight: 0 })),
      ),
    ).toThrow(/more than 16/);
  });
});
