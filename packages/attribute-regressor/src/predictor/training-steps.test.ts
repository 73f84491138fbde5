import { describe, expect, it } from 'vitest';
import {
  defineAttributeSchema,
  InvalidAttributeError,
  InvalidOptionError,
  ProgressTracker,
  ShapeError,
  type Featurizer,
  type ProgressEvent,
  type ScoringInput,
} from '@steerlm/core';
import { scaleBlock } from '../head/block-scaled-ridge';
import { fitStandardizer } from '../head/standardizer';
import { choosePenalties, crossValidationFolds } from './choose-penalties';
import { featurizeAll } from './featurize-all';
import { labelMatrix, MISSING_LABEL } from './label-matrix';
import { flatten, gather, subset } from './row-matrix';
import { candidateCount, chooseLengthLine, resolveSelectionSettings, selectHead, smallestBlock } from './select-head';
import { rowGroup, splitRows } from './split-rows';
import { balanceBlocks, standardizeTargets } from './standardization';

const schema = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4 },
    { name: 'humor', min: 0, max: 4 },
  ],
});

describe('labelMatrix', () => {
  it('lays labels out row-major in schema order, masking every form of missing', () => {
    const { targets, mask } = labelMatrix(
      [{ humor: 3, quality: 1.5 }, { quality: MISSING_LABEL, humor: null }, { quality: Number.NaN, humor: undefined }, {}],
      schema,
    );
    expect([...targets]).toEqual([1.5, 3, 0, 0, 0, 0, 0, 0]);
    expect([...mask]).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('names the example and attribute of an unknown or out-of-range label', () => {
    expect(() => labelMatrix([{ quality: 1 }, { tone: 2 }], schema)).toThrow(InvalidAttributeError);
    expect(() => labelMatrix([{ quality: 1 }, { tone: 2 }], schema)).toThrow(/example 1 has a label for unknown attribute "tone"/);
    expect(() => labelMatrix([{ humor: 4.5 }], schema)).toThrow(/example 0 labels "humor" 4.5, outside 0..4/);
  });
});

describe('row matrices', () => {
  it('gathers rows of the source type and stacks vectors', () => {
    const matrix = Float32Array.from([0, 1, 10, 11, 20, 21]);
    expect(gather(matrix, [2, 0], 2)).toEqual(Float32Array.from([20, 21, 0, 1]));
    expect(gather(Uint8Array.from([1, 0, 0, 1]), [1], 2)).toEqual(Uint8Array.from([0, 1]));
    expect(flatten([Float32Array.from([1, 2]), Float32Array.from([3, 4])], 2)).toEqual(Float32Array.from([1, 2, 3, 4]));
    const dataset = { features: matrix, targets: Float32Array.from([5, 6, 7]), mask: Uint8Array.from([1, 0, 1]), rows: 3 };
    expect(subset(dataset, [1, 2], 2, 1)).toEqual({
      features: Float32Array.from([10, 11, 20, 21]),
      targets: Float32Array.from([6, 7]),
      mask: Uint8Array.from([0, 1]),
      rows: 2,
    });
  });
});

describe('splitRows', () => {
  it('keeps each group on one side, is seeded, and gives every row without a group its own', () => {
    const groups = Array.from({ length: 200 }, (_, row) => (row < 150 ? `tree-${row % 30}` : undefined));
    const split = splitRows(groups, 200, 0.2, 3);
    expect([...split.train, ...split.validation].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, row) => row));
    const sideOf = new Map<string, string>();
    for (const [side, rows] of Object.entries(split)) {
      for (const row of rows) {
        const group = rowGroup(groups, row);
        expect(sideOf.get(group) ?? side, group).toBe(side);
        sideOf.set(group, side);
      }
    }
    expect(split.validation.length).toBeGreaterThan(10);
    expect(split.validation.length).toBeLessThan(80);
    expect(splitRows(groups, 200, 0.2, 3)).toEqual(split);
    expect(splitRows(groups, 200, 0.2, 4)).not.toEqual(split);
    expect(rowGroup(undefined, 7)).toBe('\u0000row:7');
  });

  it('trains on every row when nothing is held out, and refuses fractions outside [0, 1)', () => {
    expect(splitRows(['a', 'b'], 2, 0, 0)).toEqual({ train: [0, 1], validation: [] });
    expect(() => splitRows(undefined, 2, 1, 0)).toThrow(InvalidOptionError);
    expect(() => splitRows(undefined, 2, -0.1, 0)).toThrow(/validationFraction must be in \[0, 1\), got -0.1/);
  });
});

describe('standardisation', () => {
  it('zeroes unobserved targets after standardising', () => {
    const standardizer = { mean: Float32Array.from([1, 10]), std: Float32Array.from([2, 5]) };
    expect(standardizeTargets(Float32Array.from([3, 20, 5, 99]), Uint8Array.from([1, 1, 1, 0]), standardizer)).toEqual(Float32Array.from([1, 2, 2, 0]));
  });

  it('scales each block by the square root of its width', () => {
    const balanced = balanceBlocks({ mean: Float32Array.from([0, 0, 0, 0, 0]), std: Float32Array.from([1, 2, 1, 1, 1]) }, [1, 4]);
    expect([...balanced.std]).toEqual([1, 4, 2, 2, 2]);
    expect(fitStandardizer(Float32Array.from([1, 3]), 1).mean[0]).toBe(2);
  });
});

describe('choosePenalties', () => {
  it('picks per output the penalty with the lowest cross-validated error', () => {
    // Output 0 is a clean linear function of the features (small penalty wins); output 1 is noise (large penalty wins).
    const rows = 60;
    const features = new Float32Array(rows * 2);
    const targets = new Float32Array(rows * 2);
    let state = 1;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647) * 2 - 1;
    for (let row = 0; row < rows; row++) {
      features[row * 2] = random();
      features[row * 2 + 1] = random();
      targets[row * 2] = 2 * features[row * 2]! - features[row * 2 + 1]!;
      targets[row * 2 + 1] = random();
    }
    const data = { features, targets, mask: new Uint8Array(rows * 2).fill(1), rows };
    const groups = Array.from({ length: rows }, (_, row) => `g${row}`);
    const { alphas, crossValidationLoss, outOfFold } = choosePenalties(data, groups, 5, 0, 2, 2, [1e-3, 1e3]);
    expect(alphas).toEqual([1e-3, 1e3]);
    expect(crossValidationLoss).toBeGreaterThan(0);
    // Every row is predicted once by a fold model that did not see it, with its output's chosen penalty:
    // the clean output almost exactly, the noise output shrunk to about its fold mean.
    for (let row = 0; row < rows; row++) {
      expect(outOfFold![row * 2]).toBeCloseTo(targets[row * 2]!, 2);
      expect(Math.abs(outOfFold![row * 2 + 1]!)).toBeLessThan(0.3);
    }
  });

  it('falls back to the middle candidate with fewer than two usable folds', () => {
    const data = { features: Float32Array.from([1, 2]), targets: Float32Array.from([1, 2]), mask: Uint8Array.from([1, 1]), rows: 2 };
    expect(choosePenalties(data, ['same', 'same'], 5, 0, 1, 1, [1, 10, 100])).toEqual({ alphas: [10], scales: [1], crossValidationLoss: undefined });
    const block = { block: { start: 0, width: 1 }, scales: [4, 16] };
    expect(choosePenalties(data, ['same', 'same'], 5, 0, 1, 1, [1, 10, 100], block)).toEqual({ alphas: [10], scales: [4], crossValidationLoss: undefined });
  });

  it('picks per output the scale of the small block with its penalty: a dense signal among sparse noise escapes the penalty', () => {
    // 20 sparse noise columns and one dense column (the last). Output 0 is 2 · dense plus a little noise: the
    // large penalty suits the noise columns but shrinks the dense weight, so a large block scale wins.
    // Output 1 is pure noise: nothing beats the largest penalty with scale 1 (ties go to the first scale).
    const rows = 200;
    const inputs = 21;
    let state = 7;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const features = new Float32Array(rows * inputs);
    const targets = new Float32Array(rows * 2);
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < 20; column++) if (random() > 0.9) features[row * inputs + column] = 1;
      features[row * inputs + 20] = random();
      targets[row * 2] = 2 * features[row * inputs + 20]! + 0.05 * random();
      targets[row * 2 + 1] = 0.5 * random();
    }
    const data = { features, targets, mask: new Uint8Array(rows * 2).fill(1), rows };
    const groups = Array.from({ length: rows }, (_, row) => `g${row}`);
    const chosen = choosePenalties(data, groups, 5, 0, inputs, 2, [1e4], { block: { start: 20, width: 1 }, scales: [1, 100] });
    expect(chosen.alphas).toEqual([1e4, 1e4]);
    expect(chosen.scales).toEqual([100, 1]);
    // The out-of-fold predictions are the chosen candidate's: output 0 close to its targets.
    for (let row = 0; row < rows; row++) expect(chosen.outOfFold![row * 2]).toBeCloseTo(targets[row * 2]!, 0);
    const plain = choosePenalties(data, groups, 5, 0, inputs, 2, [1e4]);
    expect(plain.scales).toEqual([1, 1]);
    expect(chosen.crossValidationLoss!).toBeLessThan(plain.crossValidationLoss! / 2);
  });

  it('in kernel space (fewer rows than features) matches cross-validating the scaled features themselves', () => {
    const rows = 30;
    const inputs = 40;
    let state = 11;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647) * 2 - 1;
    const features = Float32Array.from({ length: rows * inputs }, () => random());
    const targets = Float32Array.from({ length: rows }, (_, row) => features[row * inputs + 38]! - features[row * inputs + 3]! + 0.3 * random());
    const data = { features, targets, mask: new Uint8Array(rows).fill(1), rows };
    const groups = Array.from({ length: rows }, (_, row) => `g${row}`);
    const block = { start: 36, width: 4 };
    const chosen = choosePenalties(data, groups, 5, 0, inputs, 1, [30], { block, scales: [5] });
    const reference = choosePenalties(scaleBlock(data, inputs, block, 5), groups, 5, 0, inputs, 1, [30]);
    expect(chosen.scales).toEqual([5]);
    expect(chosen.crossValidationLoss).toBeCloseTo(reference.crossValidationLoss!, 5);
    for (let row = 0; row < rows; row++) expect(chosen.outOfFold![row]).toBeCloseTo(reference.outOfFold![row]!, 4);
    expect(chosen.crossValidationLoss).not.toBeCloseTo(choosePenalties(data, groups, 5, 0, inputs, 1, [30]).crossValidationLoss!, 2);
  });
});

describe('ridge block scales', () => {
  const featurizer = { specificationVersion: 'v1' as const, id: 'x', dimension: 1, featurize: async () => [] };
  it('default to one penalty for every block, and refuse non-positive scales', () => {
    expect(resolveSelectionSettings({ schema, featurizer }).ridgeBlockScales).toEqual([1]);
    expect(resolveSelectionSettings({ schema, featurizer, ridgeBlockScales: [1, 16] }).ridgeBlockScales).toEqual([1, 16]);
    expect(() => resolveSelectionSettings({ schema, featurizer, ridgeBlockScales: [1, 0] })).toThrow(/ridgeBlockScales must be positive numbers, got 0/);
    expect(() => resolveSelectionSettings({ schema, featurizer, ridgeBlockScales: [] })).toThrow(InvalidOptionError);
  });

  it('scale the narrowest block (the last of equals), none with one block', () => {
    expect(smallestBlock([2048, 2048, 2048, 26, 26])).toEqual({ start: 6170, width: 26 });
    expect(smallestBlock([512, 26, 512])).toEqual({ start: 512, width: 26 });
    expect(smallestBlock([26])).toBeUndefined();
  });
});

describe('selectHead', () => {
  it('resolves defaults and counts one ridge candidate or one MLP per weight decay', () => {
    const settings = resolveSelectionSettings({
      schema,
      featurizer: { specificationVersion: 'v1', id: 'x', dimension: 1, featurize: async () => [] },
      hiddenUnits: [0, 8],
      weightDecay: [0.1, 1],
    });
    expect(settings).toMatchObject({ hiddenUnits: [0, 8], weightDecays: [0.1, 1], folds: 5, seed: 0, balanceBlocks: true, refit: true, learningRate: 1e-3 });
    expect(candidateCount(settings)).toBe(3);
    expect(() =>
      resolveSelectionSettings({ schema, featurizer: { specificationVersion: 'v1', id: 'x', dimension: 1, featurize: async () => [] }, ridgeAlphas: [] }),
    ).toThrow(/ridgeAlphas needs at least one value/);
  });

  it('fits the ridge head on the training rows, reports each candidate and refits on all rows', () => {
    const rows = 40;
    const features = Float32Array.from({ length: rows }, (_, row) => row / rows);
    const targets = Float32Array.from({ length: rows }, (_, row) => 1 + 2 * (row / rows));
    const data = { features, targets, mask: new Uint8Array(rows).fill(1), rows, inputs: 1, outputs: 1, groups: undefined };
    const split = { train: Array.from({ length: 30 }, (_, row) => row), validation: Array.from({ length: 10 }, (_, row) => 30 + row) };
    const events: ProgressEvent[] = [];
    const settings = {
      ...resolveSelectionSettings({ schema, featurizer: { specificationVersion: 'v1', id: 'x', dimension: 1, featurize: async () => [] } }),
      ridgeAlphas: [1e-6],
    };
    const tracker = new ProgressTracker('train-attribute-head', {
      total: candidateCount(settings),
      unit: 'candidates',
      listeners: [(event) => events.push(event)],
    });
    const selected = selectHead(data, split, [1], schema.attributes, settings, tracker);
    expect(selected.hiddenUnits).toBe(0);
    expect(selected.ridgeAlphas).toEqual([1e-6]);
    expect(selected.candidates).toHaveLength(1);
    expect(selected.validationLoss).toBeLessThan(1e-6);
    expect(selected.refit).toBe(true);
    // Refit: the normalisation covers all 40 rows, not only the 30 training ones.
    expect(selected.featureNormalisation.mean[0]).toBeCloseTo(features.reduce((a, b) => a + b, 0) / rows, 5);
    expect(events.filter((event) => event.type === 'step-end')).toHaveLength(1);
    expect(() => selectHead(data, split, [1], schema.attributes, { ...settings, folds: 1 }, tracker)).toThrow(/folds must be an integer >= 2, got 1/);
  });
});

describe('featurizeAll', () => {
  const input: ScoringInput = { context: [{ role: 'user', text: 'q' }], response: 'r' };
  const featurizer = (vectors: (count: number) => Float32Array[]): Featurizer => ({
    specificationVersion: 'v1',
    id: 'stub',
    dimension: 2,
    featurize: async (inputs) => vectors(inputs.length),
  });

  it('featurizes in batches, in order', async () => {
    let calls = 0;
    const counting = featurizer((count) => Array.from({ length: count }, () => Float32Array.from([calls, ++calls])));
    const vectors = await featurizeAll(counting, [input, input, input], 2);
    expect(vectors.map((vector) => [...vector])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
  });

  it('refuses wrong counts, widths and non-finite values', async () => {
    await expect(
      featurizeAll(
        featurizer(() => []),
        [input],
        4,
      ),
    ).rejects.toThrow(ShapeError);
    await expect(
      featurizeAll(
        featurizer((count) => Array.from({ length: count }, () => new Float32Array(3))),
        [input],
        4,
      ),
    ).rejects.toThrow(/returned 3 values for input 0, declared 2/);
    await expect(
      featurizeAll(
        featurizer((count) => Array.from({ length: count }, () => Float32Array.from([1, Number.NaN]))),
        [input],
        4,
      ),
    ).rejects.toThrow(/NaN or Infinity for input 0/);
  });
});

describe('the length line against the head', () => {
  const plain = { specificationVersion: 'v1' as const, id: 'x', dimension: 3, featurize: async () => [] };
  it("is off by default; true takes the featurizer's length feature, a number the index; refuses an index outside the vector", () => {
    const declaring = { ...plain, lengthFeature: 2 } as typeof plain;
    expect(resolveSelectionSettings({ schema, featurizer: declaring }).lengthFeature).toBeUndefined();
    expect(resolveSelectionSettings({ schema, featurizer: declaring, lengthLine: true }).lengthFeature).toBe(2);
    expect(resolveSelectionSettings({ schema, featurizer: declaring, lengthLine: false }).lengthFeature).toBeUndefined();
    expect(resolveSelectionSettings({ schema, featurizer: plain, lengthLine: 1 }).lengthFeature).toBe(1);
    expect(() => resolveSelectionSettings({ schema, featurizer: plain, lengthLine: true })).toThrow(
      /lengthLine: true needs a featurizer that declares its length feature; x does not/,
    );
    expect(() => resolveSelectionSettings({ schema, featurizer: plain, lengthLine: 3 })).toThrow(
      /lengthLine must be true, false or a feature index in 0..2, got 3/,
    );
    expect(() => resolveSelectionSettings({ schema, featurizer: plain, lengthLine: 0.5 })).toThrow(InvalidOptionError);
  });

  it('keeps the line unless the head beats it by more than the standard error of the paired difference', () => {
    // The head is one bin better on 2 rows of 100 and worse on 1: gain 0.01, standard error ≈ 0.017: the line stays.
    const line = new Array<number>(100).fill(0);
    const head = new Array<number>(100).fill(0);
    line[0] = line[1] = 1;
    head[2] = 1;
    const close = chooseLengthLine(head, line);
    expect(close.useLine).toBe(true);
    expect(close.headMae).toBeCloseTo(0.01, 10);
    expect(close.lineMae).toBeCloseTo(0.02, 10);
    // Paired differences: two 1s, one −1, 97 zeros: sd √((3 − 100·0.01²)/99), over √100.
    expect(close.standardError).toBeCloseTo(Math.sqrt((3 - 100 * 0.01 ** 2) / 99) / 10, 10);
    // Better on 12 rows and worse on none: the head.
    for (let row = 0; row < 12; row += 1) line[row] = 1;
    head[2] = 0;
    expect(chooseLengthLine(head, line).useLine).toBe(false);
    // A tie keeps the line; no rows keep the head.
    expect(chooseLengthLine([1, 0], [0, 1]).useLine).toBe(true);
    expect(chooseLengthLine([], []).useLine).toBe(false);
  });

  it("shares choosePenalties' grouped folds: a group never straddles two folds", () => {
    const groups = Array.from({ length: 60 }, (_, row) => `tree-${row % 12}`);
    const folds = crossValidationFolds(groups, 5, 3);
    expect(folds.flat().sort((left, right) => left - right)).toEqual(Array.from({ length: 60 }, (_, row) => row));
    for (const fold of folds) for (const row of fold) expect(folds.filter((other) => other.some((member) => groups[member] === groups[row])).length).toBe(1);
    expect(crossValidationFolds(['one', 'one'], 5, 0)).toEqual([]);
  });
});
