import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFormatError, InvalidOptionError, ModelFormatError, ShapeError, type ScoringInput } from '@steerlm/core';
import { concatenateFeaturizers } from './concatenated';
import { createDecoderHiddenStateFeaturizer } from './decoder-hidden-state';
import { featureBlocksOf, lengthFeatureOf } from './featurizer-description';
import { createFeaturizer, createFeaturizerByName } from './featurizer-registry';
import { createHashedNgramsFeaturizer } from './hashed-ngrams';
import { createTextStatisticsFeaturizer, TEXT_STATISTICS_FEATURES } from './text-statistics';
import { createTransformersFeaturizer } from './transformers-feature-extraction';

const input = (response: string, prompt = 'How do I bake bread?'): ScoringInput => ({ context: [{ role: 'user', text: prompt }], response });
const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});

describe('hashed n-grams and text statistics', () => {
  it('gives deterministic vectors of the declared size, with blocks, that tell texts apart', async () => {
    const featurizer = createHashedNgramsFeaturizer({ buckets: 128 });
    expect(featurizer.dimension).toBe(3 * 128 + TEXT_STATISTICS_FEATURES.length);
    expect(featureBlocksOf(featurizer)).toEqual([128, 128, 128, TEXT_STATISTICS_FEATURES.length]);
    const [first, again, other] = await featurizer.featurize([input('Mix flour and water.'), input('Mix flour and water.'), input('Stocks fell sharply.')]);
    expect(first).toHaveLength(featurizer.dimension);
    expect([...first!]).toEqual([...again!]);
    expect([...first!]).not.toEqual([...other!]);
    expect(first!.every(Number.isFinite)).toBe(true);
  });

  it('measures lengths and lists', async () => {
    const [vector] = await createTextStatisticsFeaturizer().featurize([input('Steps:\n- one\n- two\n- three')]);
    const at = (name: string) => vector![TEXT_STATISTICS_FEATURES.indexOf(name as (typeof TEXT_STATISTICS_FEATURES)[number])]!;
    expect(at('log_response_characters')).toBeCloseTo(Math.log1p(26), 5);
    expect(at('list_line_fraction')).toBeCloseTo(0.75, 5);
  });

  it('rejects empty responses and text with lone surrogates, naming the input', async () => {
    const featurizer = createHashedNgramsFeaturizer({ buckets: 16 });
    await expect(featurizer.featurize([input('fine'), input('   ')])).rejects.toThrow(/inputs\[1\]\.response.*the response is empty/);
    await expect(featurizer.featurize([input('bad \uD800 byte')])).rejects.toThrow(DataFormatError);
    await expect(featurizer.featurize([input('ok', 'prompt \uDC00')])).rejects.toThrow(/context\[0\]\.text.*not well-formed/);
  });

  it('truncates huge responses to maxResponseCharacters (documented), in linear time', async () => {
    const featurizer = createHashedNgramsFeaturizer({ buckets: 64, maxResponseCharacters: 1000 });
    const huge = 'word '.repeat(400_000);
    const started = performance.now();
    const [vector, cut] = await featurizer.featurize([input(huge), input(huge.slice(0, 1000))]);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect([...vector!]).toEqual([...cut!]);
  });

  it('checks options and rebuilds from descriptions and names', () => {
    expect(() => createHashedNgramsFeaturizer({ buckets: 2 })).toThrow(InvalidOptionError);
    expect(() => createHashedNgramsFeaturizer({ wordNgrams: [3, 1] })).toThrow(/wordNgrams/);
    const featurizer = createHashedNgramsFeaturizer({ buckets: 32 });
    expect(createFeaturizer(featurizer.description).id).toBe(featurizer.id);
    const joined = createFeaturizerByName('text-statistics+hashed-ngrams');
    expect(joined.id).toMatch(/^concat\(text-statistics.*\|hashed-ngrams/);
    expect(() => createFeaturizerByName('nope')).toThrow(/unknown featurizer "nope"/);
    expect(() => createFeaturizer({ type: 'mystery', options: {} })).toThrow(ModelFormatError);
  });

  it('concatenates parts in order', async () => {
    const statistics = createTextStatisticsFeaturizer();
    const hashed = createHashedNgramsFeaturizer({ buckets: 16 });
    const both = concatenateFeaturizers([statistics, hashed]);
    const [joined] = await both.featurize([input('Hello there!')]);
    const [alone] = await statistics.featurize([input('Hello there!')]);
    expect([...joined!.subarray(0, statistics.dimension)]).toEqual([...alone!]);
    expect(both.dimension).toBe(statistics.dimension + hashed.dimension);
  });

  it('declare where log(1 + response characters) is, also inside a concatenation (the last part that has one)', async () => {
    const response = 'A response of forty-one characters, yes.';
    const statistics = createTextStatisticsFeaturizer();
    const hashed = createHashedNgramsFeaturizer({ buckets: 16 });
    const both = concatenateFeaturizers([hashed, statistics]);
    for (const featurizer of [statistics, hashed, both]) {
      const index = lengthFeatureOf(featurizer)!;
      const [vector] = await featurizer.featurize([input(response)]);
      expect(vector![index]).toBeCloseTo(Math.log1p(response.length), 5);
    }
    expect(lengthFeatureOf(both)).toBe(hashed.dimension);
    expect(lengthFeatureOf(createFeaturizerByName('hashed-ngrams+text-statistics'))).toBe(3 * 2048 + TEXT_STATISTICS_FEATURES.length);
    // None declared, or out of range: none.
    const plain = { specificationVersion: 'v1' as const, id: 'x', dimension: 2, featurize: async () => [] };
    expect(lengthFeatureOf(plain)).toBeUndefined();
    expect(lengthFeatureOf({ ...plain, lengthFeature: 2 } as typeof plain)).toBeUndefined();
    expect(lengthFeatureOf(concatenateFeaturizers([plain, plain]))).toBeUndefined();
  });
});

describe('decoder last-token featurizer', () => {
  it('renders the conversation with the SteerLM template and checks the vectors it gets', async () => {
    const seen: string[] = [];
    const featurizer = createDecoderHiddenStateFeaturizer({
      modelId: 'toy',
      dimension: 3,
      lastHiddenState: async (texts) => {
        seen.push(...texts);
        return texts.map((text) => [text.length, 1, 0]);
      },
    });
    const [vector] = await featurizer.featurize([input('Knead it.')]);
    expect(seen[0]).toContain('<extra_id_1>User\nHow do I bake bread?\n<extra_id_1>Assistant\nKnead it.\n');
    expect(vector![0]).toBe(seen[0]!.length);
    expect(featurizer.id).toBe('decoder-last-token:toy:template=steerlm:dim=3');
    const wrong = createDecoderHiddenStateFeaturizer({ modelId: 'toy', dimension: 4, lastHiddenState: async (texts) => texts.map(() => [1, 2]) });
    await expect(wrong.featurize([input('x')])).rejects.toThrow(ShapeError);
  });
});

describe('transformers.js featurizer configuration (no model is downloaded in tests)', () => {
  it('refuses a hub id that is not a local folder, without touching the network', () => {
    expect(() => createTransformersFeaturizer({ modelPath: 'sentence-transformers/all-MiniLM-L6-v2' })).toThrow(
      /no local model folder.*remote model loading is off/,
    );
  });

  it('reads the hidden size from config.json and refuses folders without one', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'hf-'));
    directories.push(directory);
    await mkdir(join(directory, 'tiny-bert'));
    expect(() => createTransformersFeaturizer({ modelPath: join(directory, 'tiny-bert') })).toThrow(/no config\.json/);
    await writeFile(join(directory, 'tiny-bert', 'config.json'), JSON.stringify({ model_type: 'bert' }));
    expect(() => createTransformersFeaturizer({ modelPath: join(directory, 'tiny-bert') })).toThrow(/names no hidden size/);
    await writeFile(join(directory, 'tiny-bert', 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: 8 }));
    const featurizer = createTransformersFeaturizer({ modelPath: join(directory, 'tiny-bert') });
    expect(featurizer.dimension).toBe(16);
    expect(featurizer.id).toBe('transformers:tiny-bert:dtype=fp32:pooling=mean:normalize=1:response=2000:prompt=1000');
    // The folder has no tokenizer or ONNX weights: loading fails with a BackendError that says what is missing.
    await expect(featurizer.featurize([input('hello')])).rejects.toThrow(/cannot load the local model.*tokenizer\.json and onnx\/model\.onnx/);
  });
});
