import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  BackendError,
  decodeSafetensors,
  defineAttributeSchema,
  encodeSafetensors,
  InvalidAttributeError,
  ModelFormatError,
  type Featurizer,
  type ProgressEvent,
  type ScoringInput,
} from '@steerlm/core';
import { AttributePredictor, MISSING_LABEL, type TrainingExample } from './attribute-predictor';
import { createHashedNgramsFeaturizer } from './featurizers/hashed-ngrams';
import { SeededRandom } from './training/seeded-random';

const schema = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4 },
    { name: 'humor', min: 0, max: 4 },
  ],
});

/** A featurizer reading two numbers written in the response: "a=1.5 b=-0.25". */
const numbersFeaturizer: Featurizer = {
  specificationVersion: 'v1',
  id: 'numbers:v1',
  dimension: 2,
  async featurize(inputs: readonly ScoringInput[]) {
    return inputs.map((input) => Float32Array.from((input.response.match(/-?\d+(\.\d+)?/g) ?? []).map(Number)));
  },
};

function examples(count: number, seed: number): TrainingExample[] {
  const random = new SeededRandom(seed);
  return Array.from({ length: count }, (_, index) => {
    const a = random.next() * 2;
    const b = random.next() * 2 - 1;
    return {
      input: { context: [{ role: 'user', text: 'rate this' }], response: `a=${a.toFixed(4)} b=${b.toFixed(4)}` },
      labels: { quality: 1 + a + 0.5 * b, humor: index % 4 === 0 ? MISSING_LABEL : 2 - b },
      group: `tree-${index % 25}`,
    };
  });
}

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('AttributePredictor', () => {
  it('learns a linear function of the features, with missing labels, and reports progress', async () => {
    const events: ProgressEvent[] = [];
    const predictor = await AttributePredictor.train(examples(200, 1), {
      schema,
      featurizer: numbersFeaturizer,
      ridgeAlphas: [1e-4, 1e-2],
      onProgress: (event) => events.push(event),
    });
    const [score] = await predictor.predict([{ context: [], response: 'a=1.0 b=0.4' }]);
    expect(score!.values.quality).toBeCloseTo(2.2, 2);
    expect(score!.values.humor).toBeCloseTo(1.6, 2);
    expect(score!.rounded).toEqual({ quality: 2, humor: 2 });
    expect(events.some((event) => event.type === 'job-end' && event.job === 'train-attribute-head')).toBe(true);
    // The refit on all rows is a job of its own (it can outlast the search), announced before it runs.
    const refit = events.findIndex((event) => event.type === 'job-start' && event.job === 'refit-attribute-head');
    expect(refit).toBeGreaterThan(events.findIndex((event) => event.type === 'step-end' && event.job === 'train-attribute-head'));
    expect(events.some((event) => event.type === 'job-end' && event.job === 'refit-attribute-head')).toBe(true);
    expect(events.filter((event) => event.type === 'step-end' && event.job === 'featurize').length).toBeGreaterThan(0);
    const report = predictor.trainingReport!;
    expect(report.validationRows).toBeGreaterThan(0);
    expect(Number(report.trainRows) + Number(report.validationRows)).toBe(200);
  });

  it('clamps and rounds predictions outside the scale', async () => {
    const predictor = await AttributePredictor.train(examples(100, 2), { schema, featurizer: numbersFeaturizer, ridgeAlphas: [1e-4] });
    const [score] = await predictor.score([{ context: [], response: 'a=9 b=-9' }]);
    expect(score!.values.quality).toBeGreaterThan(4);
    expect(score!.rounded.quality).toBe(4);
    expect(score!.rounded.humor).toBe(4);
  });

  it('trains an MLP head with early stopping when asked and is deterministic for a seed', async () => {
    const options = { schema, featurizer: numbersFeaturizer, hiddenUnits: [8], weightDecay: [0.01], maxEpochs: 40, learningRate: 0.01, seed: 3 };
    const first = await AttributePredictor.train(examples(120, 3), options);
    const second = await AttributePredictor.train(examples(120, 3), options);
    const input = [{ context: [], response: 'a=0.5 b=0.1' }];
    expect((await first.predict(input))[0]!.values).toEqual((await second.predict(input))[0]!.values);
    expect(first.head.config.hiddenUnits).toBe(8);
  });

  describe('bins calibrated for MAE, never worse than a constant on validation', () => {
    /** Integer labels 0..4, mostly 0 (like toxicity); with `signal`, a feature tracks them, else the features are noise. */
    function skewed(count: number, seed: number, signal: boolean): TrainingExample[] {
      const random = new SeededRandom(seed);
      return Array.from({ length: count }, (_, index) => {
        const label = random.next() < 0.6 ? 0 : 1 + Math.floor(random.next() * 4);
        const a = signal ? label + random.normal() * 0.6 : random.next() * 4;
        const b = random.next();
        return {
          input: { context: [{ role: 'user', text: 'rate this' }], response: `a=${a.toFixed(4)} b=${b.toFixed(4)}` },
          labels: { quality: label, humor: random.next() < 0.5 ? 1 : 2 },
          group: `tree-${index % 60}`,
        };
      });
    }
    const mae = (predicted: number[], labels: number[]) => predicted.reduce((sum, value, index) => sum + Math.abs(value - labels[index]!), 0) / labels.length;

    it('with features that carry signal, the bins beat the median on held-out rows, and save with the model', async () => {
      const train = skewed(400, 11, true);
      const test = skewed(300, 12, true);
      const predictor = await AttributePredictor.train(train, { schema, featurizer: numbersFeaturizer, calibrate: true });
      const calibration = (predictor.trainingReport as { calibration: Record<string, { slope: number; validationMae: number; constantMae: number }> })
        .calibration;
      expect(calibration.quality!.slope).toBeGreaterThan(0);
      expect(calibration.quality!.validationMae).toBeLessThan(calibration.quality!.constantMae);
      const scores = await predictor.predict(test.map((example) => example.input));
      const labels = test.map((example) => example.labels.quality as number);
      const model = mae(
        scores.map((score) => score.rounded.quality!),
        labels,
      );
      const constant = mae(
        labels.map(() => 0),
        labels,
      );
      const roundedMean = mae(
        scores.map((score) => Math.min(4, Math.max(0, Math.round(score.values.quality!)))),
        labels,
      );
      expect(model).toBeLessThan(constant - 0.3);
      // Rounding the mean estimate is worse than the calibrated bin on these skewed labels.
      expect(model).toBeLessThan(roundedMean);
      const reloaded = AttributePredictor.fromFiles(predictor.toFiles(), { featurizer: numbersFeaturizer });
      expect(reloaded.binCalibration!.slope).toEqual(predictor.binCalibration!.slope);
      expect(await reloaded.predict(test.slice(0, 20).map((example) => example.input))).toEqual(scores.slice(0, 20));
    });

    it("with 'auto' (the default) calibrates an attribute only where that lowers the held-out MAE, and records the choice", async () => {
      // quality: mostly 0 and independent of the features (the rounded mean, about 1, loses to the median 0);
      // humor: an integer the feature a tracks closely (the rounded values are already the right bins).
      const random = new SeededRandom(21);
      const train: TrainingExample[] = Array.from({ length: 300 }, (_, index) => {
        const humor = Math.floor(random.next() * 5);
        const quality = random.next() < 0.6 ? 0 : 1 + Math.floor(random.next() * 4);
        const a = humor + random.normal() * 0.05;
        return {
          input: { context: [], response: `a=${a.toFixed(4)} b=${random.next().toFixed(4)}` },
          labels: { quality, humor },
          group: `tree-${index % 60}`,
        };
      });
      const predictor = await AttributePredictor.train(train, { schema, featurizer: numbersFeaturizer });
      const report = predictor.trainingReport as {
        calibration: Record<string, { applied: boolean; slope: number; intercept: number; fitMae: number; fitUncalibratedMae: number }>;
        validationLoss: number;
        constantValidationLoss: number;
      };
      expect(report.calibration.quality!.applied).toBe(true);
      expect(report.calibration.quality!.fitUncalibratedMae - report.calibration.quality!.fitMae).toBeGreaterThan(0.1);
      expect(report.calibration.humor).toMatchObject({ applied: false, slope: 1, intercept: 0 });
      expect(report.calibration.humor!.fitUncalibratedMae).toBeLessThan(0.05);
      expect([predictor.binCalibration!.slope[1], predictor.binCalibration!.intercept[1]]).toEqual([1, 0]);
      const scores = await predictor.predict(train.slice(0, 50).map((example) => example.input));
      // quality's bins are the median's (the rounded mean would say 1), humor's the rounded values.
      expect(scores.filter((score) => score.rounded.quality === 0).length).toBeGreaterThan(45);
      for (const score of scores) expect(score.rounded.humor).toBe(Math.min(4, Math.max(0, Math.round(score.values.humor!))));
      // The choice is saved with the model: config.json's bin map and its training report.
      const config = JSON.parse(predictor.toFiles().config) as {
        binCalibration: { slope: number[] };
        training: { calibration: Record<string, { applied: boolean }> };
      };
      expect(config.binCalibration.slope[1]).toBe(1);
      expect(config.training.calibration.humor!.applied).toBe(false);
      // The head beats the constant on the loss it is trained for (humor is learnable), and the constant scores about 1.
      expect(report.constantValidationLoss).toBeGreaterThan(0.8);
      expect(report.constantValidationLoss).toBeLessThan(1.3);
      expect(report.validationLoss).toBeLessThan(report.constantValidationLoss - 0.3);
      // calibrate: true uses every map, even one that gains nothing.
      const all = await AttributePredictor.train(train, { schema, featurizer: numbersFeaturizer, calibrate: true });
      expect((all.trainingReport as typeof report).calibration.humor!.applied).toBe(true);
      await expect(AttributePredictor.train(train, { schema, featurizer: numbersFeaturizer, calibrate: 'yes' as unknown as boolean })).rejects.toThrow(
        /calibrate must be true, false or 'auto'/,
      );
    });

    it('with lengthLine, keeps the length line for an attribute the other features do not improve, the head where they do; saved in the same format', async () => {
      // Feature 0 is the "length" (declared), features 1-40 noise; quality follows the length, humor feature 1.
      const width = 41;
      const lengthFeaturizer = {
        specificationVersion: 'v1' as const,
        id: 'length-and-noise:v1',
        dimension: width,
        lengthFeature: 0,
        async featurize(inputs: readonly ScoringInput[]) {
          return inputs.map((input) => Float32Array.from(input.response.split(' ').map(Number)));
        },
      };
      const make = (count: number, seed: number): TrainingExample[] => {
        const random = new SeededRandom(seed);
        return Array.from({ length: count }, (_, index) => {
          const vector = Array.from({ length: width }, () => random.normal());
          const quality = Math.min(4, Math.max(0, Math.round(2 + vector[0]! + random.normal() * 0.8)));
          const humor = Math.min(4, Math.max(0, Math.round(2 + 1.2 * vector[1]! + random.normal() * 0.3)));
          return {
            input: { context: [], response: vector.map((value) => value.toFixed(4)).join(' ') },
            labels: { quality, humor },
            group: `tree-${index % 80}`,
          };
        });
      };
      const train = make(400, 31);
      const predictor = await AttributePredictor.train(train, { schema, featurizer: lengthFeaturizer, ridgeAlphas: [1e-3], lengthLine: true });
      type Calibration = Record<string, { predictor: string; lengthLineFitMae: number; lengthLineGainStandardError: number; fitMae: number }>;
      const calibration = (predictor.trainingReport as { calibration: Calibration }).calibration;
      expect(calibration.quality!.predictor).toBe('length-line');
      expect(calibration.humor!.predictor).toBe('head');
      // Humor's head beats its line (which sees no signal) by far more than a standard error.
      expect(calibration.humor!.lengthLineFitMae - calibration.humor!.fitMae).toBeGreaterThan(5 * calibration.humor!.lengthLineGainStandardError);
      // Quality's column of the head is the line: values depend on feature 0 alone.
      const weight = predictor.head.parameters['head.weight']!.data;
      for (let inner = 1; inner < width; inner += 1) expect(weight[inner * 2]).toBe(0);
      expect(weight[0]).toBeGreaterThan(0);
      const same = [
        train[0]!.input,
        {
          context: [],
          response: train[0]!.input.response
            .split(' ')
            .map((value, index) => (index === 0 ? value : '3'))
            .join(' '),
        },
      ];
      const [first, second] = await predictor.predict(same);
      expect(first!.values.quality).toBeCloseTo(second!.values.quality!, 5);
      expect(first!.values.humor).not.toBeCloseTo(second!.values.humor!, 1);
      // Held out, the line's bins beat the 40-noise-feature head's on quality (the head alone: the default).
      const test = make(400, 32);
      const labels = test.map((example) => example.labels.quality as number);
      const headOnly = await AttributePredictor.train(train, { schema, featurizer: lengthFeaturizer, ridgeAlphas: [1e-3] });
      expect((headOnly.trainingReport as { calibration: Calibration }).calibration.quality!.predictor).toBe('head');
      const withLine = (await predictor.predict(test.map((example) => example.input))).map((score) => score.rounded.quality!);
      const without = (await headOnly.predict(test.map((example) => example.input))).map((score) => score.rounded.quality!);
      expect(mae(withLine, labels)).toBeLessThan(mae(without, labels));
      // The same saved format: the line is the head's column.
      const reloaded = AttributePredictor.fromFiles(predictor.toFiles(), { featurizer: lengthFeaturizer });
      expect(await reloaded.predict(same)).toEqual([first, second]);
      // Without calibration nothing is compared: the head's own columns.
      const uncalibrated = await AttributePredictor.train(train, {
        schema,
        featurizer: lengthFeaturizer,
        ridgeAlphas: [1e-3],
        calibrate: false,
        lengthLine: true,
      });
      expect(uncalibrated.head.parameters['head.weight']!.data[2]).not.toBe(0);
    });

    it('with features that carry nothing, every bin falls back to the training median', async () => {
      const train = skewed(400, 13, false);
      const predictor = await AttributePredictor.train(train, { schema, featurizer: numbersFeaturizer, calibrate: true });
      const calibration = (predictor.trainingReport as { calibration: Record<string, { slope: number; intercept: number }> }).calibration;
      expect(calibration.quality!.slope).toBe(0);
      expect(calibration.humor!.slope).toBe(0);
      const scores = await predictor.predict(skewed(100, 14, false).map((example) => example.input));
      expect(new Set(scores.map((score) => score.rounded.quality))).toEqual(new Set([0]));
      // The continuous values stay the head's mean estimate (about 1 here), not the median.
      expect(scores[0]!.values.quality).toBeGreaterThan(0.6);
      // Without calibration the rounded mean estimate misses the median bin.
      const plain = await AttributePredictor.train(train, { schema, featurizer: numbersFeaturizer, calibrate: false });
      expect(plain.binCalibration).toBeUndefined();
      expect((await plain.predict([train[0]!.input]))[0]!.rounded.quality).toBe(1);
      // An MLP head has no out-of-fold predictions: its map is fitted on the validation rows alone.
      const mlp = await AttributePredictor.train(train, {
        schema,
        featurizer: numbersFeaturizer,
        hiddenUnits: [4],
        weightDecay: [0.1],
        maxEpochs: 10,
        calibrate: true,
      });
      const mlpCalibration = (mlp.trainingReport as { calibration: Record<string, { slope: number; fittedOn: string; fitRows: number }> }).calibration;
      expect(mlpCalibration.quality).toMatchObject({ slope: 0, fittedOn: 'validation' });
      expect(calibration.quality).toMatchObject({ fittedOn: 'cross-validation' });
      expect((calibration.quality as unknown as { fitRows: number }).fitRows).toBeGreaterThan(mlpCalibration.quality!.fitRows);
    });
  });

  it('rejects labels of unknown attributes or outside the range', async () => {
    const bad = [{ input: { context: [], response: 'a=1 b=1' }, labels: { wit: 2 } }];
    await expect(AttributePredictor.train(bad, { schema, featurizer: numbersFeaturizer })).rejects.toThrow(InvalidAttributeError);
    const outside = [{ input: { context: [], response: 'a=1 b=1' }, labels: { quality: 7 } }];
    await expect(AttributePredictor.train(outside, { schema, featurizer: numbersFeaturizer })).rejects.toThrow(/outside 0..4/);
  });

  it('saves and loads with identical predictions, and refuses another featurizer', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'apm-'));
    directories.push(directory);
    const featurizer = createHashedNgramsFeaturizer({ buckets: 64 });
    const data = examples(80, 4).map((example, index) => ({
      ...example,
      input: { ...example.input, response: `${index % 3 === 0 ? 'great answer' : 'meh'} ${example.input.response}` },
    }));
    const predictor = await AttributePredictor.train(data, { schema, featurizer, hiddenUnits: [0, 4], weightDecay: [0.1], maxEpochs: 20 });
    await predictor.save(directory);
    const inputs = data.slice(0, 10).map((example) => example.input);
    const before = await predictor.predict(inputs);
    const rebuilt = await AttributePredictor.load(directory);
    expect(rebuilt.featurizer.id).toBe(featurizer.id);
    expect(await rebuilt.predict(inputs)).toEqual(before);
    const explicit = await AttributePredictor.load(directory, { featurizer: createHashedNgramsFeaturizer({ buckets: 64 }) });
    expect(await explicit.predict(inputs)).toEqual(before);
    await expect(AttributePredictor.load(directory, { featurizer: createHashedNgramsFeaturizer({ buckets: 128 }) })).rejects.toThrow(
      /trained with featurizer hashed-ngrams:v1:buckets=64.*cannot be used with hashed-ngrams:v1:buckets=128/,
    );
    const config = JSON.parse(await readFile(join(directory, 'config.json'), 'utf8'));
    expect(config.format).toBe('steerlm-attribute-predictor');
    expect(config.normalisation.targetMean).toHaveLength(2);
  });

  it('refuses a featurizer it cannot rebuild, and broken folders, with ModelFormatError', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'apm-'));
    directories.push(directory);
    const predictor = await AttributePredictor.train(examples(60, 5), { schema, featurizer: numbersFeaturizer, ridgeAlphas: [1] });
    await predictor.save(directory);
    await expect(AttributePredictor.load(directory)).rejects.toThrow(/cannot be rebuilt.*pass the same featurizer/);
    const loaded = await AttributePredictor.load(directory, { featurizer: numbersFeaturizer });
    expect(await loaded.predict([{ context: [], response: 'a=1 b=0' }])).toEqual(await predictor.predict([{ context: [], response: 'a=1 b=0' }]));
    const saved = decodeSafetensors(new Uint8Array(await readFile(join(directory, 'model.safetensors'))));
    const asBf16 = saved.tensors.map((tensor) => ({ ...tensor, dtype: 'BF16' as const }));
    await writeFile(join(directory, 'model.safetensors'), encodeSafetensors(asBf16, { metadata: saved.metadata }));
    await expect(AttributePredictor.load(directory, { featurizer: numbersFeaturizer })).rejects.toThrow(
      /model\.safetensors.*has dtype BF16; a predictor's weights are F32/,
    );
    await writeFile(join(directory, 'model.safetensors'), new Uint8Array(4));
    await expect(AttributePredictor.load(directory, { featurizer: numbersFeaturizer })).rejects.toThrow(ModelFormatError);
    await expect(AttributePredictor.load(join(directory, 'missing'))).rejects.toThrow(/cannot read the predictor config/);
  });

  it('carries its saved files in memory (toFiles/fromFiles), the same bytes save writes, and names bad files', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'apm-'));
    directories.push(directory);
    const predictor = await AttributePredictor.train(examples(60, 6), { schema, featurizer: createHashedNgramsFeaturizer({ buckets: 32 }), ridgeAlphas: [1] });
    const files = predictor.toFiles();
    await predictor.save(directory);
    expect(await readFile(join(directory, 'config.json'), 'utf8')).toBe(files.config);
    expect(new Uint8Array(await readFile(join(directory, 'model.safetensors')))).toEqual(files.weights);
    const inputs = [{ context: [], response: 'a=1.5 b=-0.5' }];
    expect(await AttributePredictor.fromFiles(files).predict(inputs)).toEqual(await predictor.predict(inputs));
    expect(() =>
      AttributePredictor.fromFiles({ config: '{', weights: files.weights }, { paths: { config: 'https://x.test/apm/config.json', weights: 'w' } }),
    ).toThrow(/https:\/\/x\.test\/apm\/config\.json: config\.json is not valid JSON/);
    expect(() => AttributePredictor.fromFiles({ config: files.config, weights: new Uint8Array(4) })).toThrow(ModelFormatError);
    expect(() => AttributePredictor.fromFiles({ config: files.config } as never)).toThrow(
      /model\.safetensors: the predictor weights must be the bytes of model\.safetensors/,
    );
  });

  it('without the Node entry (as in a browser), save, load and annotate refuse with a BackendError that names the alternative', async () => {
    vi.resetModules();
    try {
      const browser = await import('./attribute-predictor');
      const registry = await import('./featurizers/featurizer-registry');
      const predictor = await browser.AttributePredictor.train(examples(40, 7), {
        schema,
        featurizer: createHashedNgramsFeaturizer({ buckets: 16 }),
        ridgeAlphas: [1],
      });
      // A fresh module graph has its own @steerlm/core, so the error is matched by name.
      await expect(predictor.save('never-written')).rejects.toMatchObject({ name: BackendError.name, backend: 'node' });
      await expect(predictor.save('never-written')).rejects.toThrow(/AttributePredictor\.save needs Node's file system.*predictor\.toFiles\(\)/);
      await expect(browser.AttributePredictor.load('apm')).rejects.toThrow(/AttributePredictor\.load needs Node's file system.*AttributePredictor\.fromFiles/);
      await expect(predictor.annotate({ records: [], output: 'out.jsonl' })).rejects.toThrow(/AttributePredictor\.annotate needs Node's file system/);
      expect(() => registry.createFeaturizerByName('use-lite')).toThrow(/the use-lite featurizer needs Node's file system/);
      expect(() => registry.createFeaturizer({ type: 'transformers', options: { modelPath: 'm' } })).toThrow(
        /the transformers featurizer needs Node's file system.*pass the featurizer/,
      );
      expect(registry.createFeaturizerByName('hashed-ngrams+text-statistics').dimension).toBe(createHashedNgramsFeaturizer().dimension + 26);
      expect(await browser.AttributePredictor.fromFiles(predictor.toFiles()).predict([{ context: [], response: 'a=1 b=1' }])).toEqual(
        await predictor.predict([{ context: [], response: 'a=1 b=1' }]),
      );
    } finally {
      vi.resetModules();
    }
  });
});
