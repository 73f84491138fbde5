import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidAttributeError, InvalidSchemaError, SteerLMError } from '../errors';
import { defineAttributeSchema } from './attribute-schema';
import { formatAttributes, parseAttributes } from './attribute-values';
import { CANONICAL_ATTRIBUTE_ORDER, HELPSTEER, OASST, STEERLM, STEERLM_PAPER_2023 } from './presets';
import { clampToScale, convertScale, roundHalfEven, toBins } from './scales';

describe('attribute schemas', () => {
  it('has the presets in canonical order', () => {
    expect(OASST.names).toEqual(['quality', 'toxicity', 'humor', 'creativity']);
    expect(HELPSTEER.names).toEqual(['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity']);
    expect(STEERLM.names).toEqual([...CANONICAL_ATTRIBUTE_ORDER]);
    expect(STEERLM_PAPER_2023.names).toEqual(['quality', 'toxicity', 'humor', 'creativity', 'violence', 'helpfulness', 'not_appropriate']);
    expect(STEERLM_PAPER_2023.get('quality')).toMatchObject({ min: 0, max: 9 });
    expect(STEERLM.attributes.every((a) => a.min === 0 && a.max === 4)).toBe(true);
  });

  it('is immutable', () => {
    expect(Object.isFrozen(STEERLM)).toBe(true);
    expect(Object.isFrozen(STEERLM.attributes)).toBe(true);
    expect(Object.isFrozen(STEERLM.attributes[0])).toBe(true);
    expect(() => (STEERLM.names as string[]).push('x')).toThrow();
  });

  it('validates names, uniqueness and integer ranges', () => {
    const bad = (attributes: unknown[]) => () => defineAttributeSchema({ attributes: attributes as never });
    expect(bad([{ name: 'Humor', min: 0, max: 4 }])).toThrow(/name "Humor" is invalid/);
    expect(bad([{ name: 'humor2', min: 0, max: 4 }])).toThrow(InvalidSchemaError);
    expect(
      bad([
        { name: 'a', min: 0, max: 4 },
        { name: 'a', min: 0, max: 2 },
      ]),
    ).toThrow(/defined twice/);
    expect(bad([{ name: 'a', min: 0.5, max: 4 }])).toThrow(/non-integer min/);
    expect(bad([{ name: 'a', min: 4, max: 4 }])).toThrow(/min 4 >= max 4/);
    expect(bad([{ name: 'a', min: 0, max: 4, default: 7 }])).toThrow(/default 7/);
    expect(bad([])).toThrow(/at least one/);
    let error: unknown;
    try {
      bad([
        { name: 'ok', min: 0, max: 1 },
        { name: 'Bad', min: 0, max: 1 },
      ])();
    } catch (caught) {
      error = caught;
    }
    expect(error, 'an invalid second attribute name must throw').toBeDefined();
    expect(SteerLMError.isInstance(error)).toBe(true);
    expect(InvalidSchemaError.isInstance(error)).toBe(true);
    expect(InvalidAttributeError.isInstance(error)).toBe(false);
    expect((error as InvalidSchemaError).field).toBe('attributes[1].name');
  });

  it('extends with user attributes after the existing ones', () => {
    const schema = OASST.extend([{ name: 'formality', min: 0, max: 2, default: 1 }]);
    expect(schema.names).toEqual(['quality', 'toxicity', 'humor', 'creativity', 'formality']);
    expect(schema.defaults()).toMatchObject({ formality: 1, quality: 4 });
    expect(OASST.has('formality')).toBe(false);
  });
});

describe('scales', () => {
  it('maps [0,1] to bins as round(v*(k-1)) with Python rounding', () => {
    expect(toBins(0, 5)).toBe(0);
    expect(toBins(1, 5)).toBe(4);
    expect(toBins(0.8333333333333334, 5)).toBe(3);
    expect(toBins(0.625, 5)).toBe(2); // 2.5 → 2 (ties to even, as Python's round)
    expect(toBins(0.375, 5)).toBe(2); // 1.5 → 2
    expect(toBins(0.875, 5)).toBe(4); // 3.5 → 4
    expect(() => toBins(1.2, 5)).toThrow(InvalidAttributeError);
    expect(roundHalfEven(-0.5) === 0).toBe(true);
    expect(roundHalfEven(-1.5)).toBe(-2);
    expect(roundHalfEven(2.4999)).toBe(2);
  });

  it('rounds like Python round: only exact ties go to even (finding 9 of issue 13)', () => {
    // Expected values printed by Python 3: [round(x) for x in [2.5000000001, 2.4999999999, 0.62500000001*4, 0.5, 1.5, 3.5]]
    expect([2.5000000001, 2.4999999999, 0.62500000001 * 4, 0.5, 1.5, 3.5].map(roundHalfEven)).toEqual([3, 2, 3, 0, 2, 4]);
    expect(toBins(0.62500000001, 5)).toBe(3);
  });

  it('converts between 0..4 and 0..9', () => {
    const four = { min: 0, max: 4 };
    const nine = { min: 0, max: 9 };
    expect([0, 1, 2, 3, 4].map((v) => convertScale(v, four, nine))).toEqual([0, 2, 4, 7, 9]);
    expect([0, 9].map((v) => convertScale(v, nine, four))).toEqual([0, 4]);
    expect(convertScale(2, four, nine, { round: false })).toBe(4.5);
    expect(clampToScale(5.7, four)).toBe(4);
    expect(clampToScale(-1, four)).toBe(0);
  });
});

describe('formatAttributes / parseAttributes', () => {
  it('formats in schema order without spaces', () => {
    expect(formatAttributes({ humor: 2, quality: 4, toxicity: 0 }, STEERLM)).toBe('quality:4,toxicity:0,humor:2');
    expect(formatAttributes({}, STEERLM)).toBe('');
    expect(formatAttributes({ humor: undefined, quality: 1 }, STEERLM)).toBe('quality:1');
  });

  it('rejects every malformed string with a clear error', () => {
    const cases: [string, RegExp][] = [
      ['joy:1', /unknown attribute "joy"/],
      ['humor:1,humor:2', /duplicate attribute "humor"/],
      ['humor:5', /outside 0..4/],
      ['humor:1.5', /non-integer/],
      ['humor:x', /non-integer/],
      [':1', /empty key/],
      ['humor:', /empty value/],
      ['humor:1,', /stray separator/],
      [',humor:1', /stray separator/],
      ['humor:1,,quality:2', /stray separator/],
      ['humor:1:2', /more than one ":"/],
      ['humor', /no ":"/],
      ['humor :1', /unknown attribute "humor "/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseAttributes(text, STEERLM), text).toThrow(message);
    }
  });

  it('property: parse(format(x)) == x for any values of any schema', () => {
    const schemaArbitrary = fc
      .uniqueArray(fc.stringMatching(/^[a-z_]{1,8}$/), { minLength: 1, maxLength: 6 })
      .chain((names) =>
        fc.tuple(
          ...names.map((name) =>
            fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 1, max: 10 })).map(([min, span]) => ({ name, min, max: min + span })),
          ),
        ),
      );
    fc.assert(
      fc.property(
        schemaArbitrary.chain((attributes) =>
          fc.tuple(
            fc.constant(defineAttributeSchema({ attributes })),
            fc.record(Object.fromEntries(attributes.map((a) => [a.name, fc.integer({ min: a.min, max: a.max })])), { requiredKeys: [] }),
          ),
        ),
        ([schema, values]) => {
          expect(parseAttributes(formatAttributes(values, schema), schema)).toEqual(values);
        },
      ),
      { numRuns: 500 },
    );
  });
});
