import { describe, expect, it } from 'vitest';
import { parseSplitSizes, splitTargets } from './split-sizes';

describe('parseSplitSizes', () => {
  it('reads fractions, counts and rest; fractions summing to 1 give train the rest', () => {
    expect(parseSplitSizes('0.9,0.05,0.05')).toEqual({ train: { rest: true }, validation: { fraction: 0.05 }, test: { fraction: 0.05 } });
    expect(parseSplitSizes('0.5,0.1')).toEqual({ train: { fraction: 0.5 }, validation: { fraction: 0.1 } });
    expect(parseSplitSizes('1000,50,50')).toEqual({ train: { count: 1000 }, validation: { count: 50 }, test: { count: 50 } });
    expect(parseSplitSizes('rest,200')).toEqual({ train: { rest: true }, validation: { count: 200 } });
  });

  it('refuses sizes that cannot be meant', () => {
    expect(() => parseSplitSizes('0.9')).toThrow(/expected 2 or 3 sizes/);
    expect(() => parseSplitSizes('0.9,0.2')).toThrow(/sum to 1\.1, more than 1/);
    expect(() => parseSplitSizes('0.9,100')).toThrow(/do not mix fractions and counts/);
    expect(() => parseSplitSizes('rest,rest')).toThrow(/only one part can be rest/);
    expect(() => parseSplitSizes('0.9,-1')).toThrow(/not a number of 0 or more/);
    expect(() => parseSplitSizes('2.5,1')).toThrow(/neither a fraction/);
  });
});

describe('splitTargets', () => {
  it('turns sizes into records per part, rest last', () => {
    expect(splitTargets(parseSplitSizes('0.8,0.1,0.1'), 1000)).toEqual({ train: 800, validation: 100, test: 100 });
    expect(splitTargets(parseSplitSizes('rest,30,20'), 1000)).toEqual({ train: 950, validation: 30, test: 20 });
    expect(() => splitTargets(parseSplitSizes('900,200'), 1000)).toThrow(/asks for 1100 records, but the input has 1000/);
  });
});
