import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '@steerlm/core';
import { parseModelConfig, type ModelConfig } from '../io/hf-config';
import { writeSafetensors } from '../io/safetensors';
import { DecoderModel } from './decoder-model';
import { checkModelSize, modelParameterCount } from './model-size';
import { parameterSpecs } from './parameter-specs';

const llama = (fields: Record<string, unknown> = {}): ModelConfig =>
  parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    vocab_size: 50,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 32,
    ...fields,
  });

let folder: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'steerlm-load-'));
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );
}

describe('DecoderModel.load', () => {
  it('frees every tensor it made when a load fails part-way', async () => {
    const model = DecoderModel.create(llama(), { seed: 1 });
    const saved = join(folder, 'two-layers');
    await model.save(saved);
    model.dispose();
    // A config of one layer over a two-layer checkpoint: layer 0 loads, then layer 1 is unexpected.
    const config = JSON.parse(await readFile(join(saved, 'config.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(saved, 'config.json'), JSON.stringify({ ...config, num_hidden_layers: 1 }));
    const before = tf.memory().numTensors;
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await errorOf(DecoderModel.load(saved));
      expect(ModelFormatError.isInstance(error), error.message).toBe(true);
      expect(error.message).toMatch(/unexpected tensor "model\.layers\.1\./);
    }
    expect(tf.memory().numTensors - before).toBe(0);
  });

  it('warns about NaN or Inf weights, naming the tensor, and errors when asked', async () => {
    const model = DecoderModel.create(llama(), { seed: 2 });
    const saved = join(folder, 'nan');
    const norm = model.parameters.get('model.norm.weight')!;
    norm.assign(tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, ...new Array<number>(14).fill(1)]));
    await model.save(saved);
    model.dispose();
    const warnings: string[] = [];
    const loaded = await DecoderModel.load(saved, { onWarning: (message) => warnings.push(message) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('1 tensor(s) hold NaN or Inf values: model.norm.weight (2 of 16)');
    loaded.dispose();
    const before = tf.memory().numTensors;
    const error = await errorOf(DecoderModel.load(saved, { nonFiniteWeights: 'error' }));
    expect(ModelFormatError.isInstance(error)).toBe(true);
    expect((error as ModelFormatError).field).toBe('model.norm.weight');
    expect(tf.memory().numTensors).toBe(before);
    // A clean checkpoint gives no warning.
    const clean = join(folder, 'clean');
    const fine = DecoderModel.create(llama(), { seed: 3 });
    await fine.save(clean);
    fine.dispose();
    const quiet: string[] = [];
    (await DecoderModel.load(clean, { onWarning: (message) => quiet.push(message) })).dispose();
    expect(quiet).toEqual([]);
  });

  it('refuses an absurd config before allocating anything', async () => {
    const absurd = join(folder, 'absurd');
    await rm(absurd, { recursive: true, force: true });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(absurd);
    await writeFile(
      join(absurd, 'config.json'),
      JSON.stringify({
        architectures: ['LlamaForCausalLM'],
        vocab_size: 2000,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 1e7,
        num_attention_heads: 4,
        num_key_value_heads: 2,
      }),
    );
    await writeSafetensors(join(absurd, 'model.safetensors'), [
      { name: 'model.norm.weight', dtype: 'F32', shape: [64], data: async () => new Float32Array(64) },
    ]);
    // 36,992 parameters a layer × 1e7 layers + 2 × 128,000 embedding + 64 norm = 3.699e11.
    const started = performance.now();
    const before = tf.memory().numTensors;
    const error = await errorOf(DecoderModel.load(absurd));
    expect(ModelFormatError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(/3\.699e\+11 parameters \(1378\.1 GiB as float32\), more than the .* of memory this machine has/);
    expect(error.message).toContain('num_hidden_layers (10000000)');
    expect(() => DecoderModel.create(llama({ num_hidden_layers: 1e7 }))).toThrow(/parameters .* more than/);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('modelParameterCount', () => {
  it.each([
    ['llama untied', llama({ tie_word_embeddings: false })],
    ['llama tied, biases', llama({ tie_word_embeddings: true, attention_bias: true, mlp_bias: true })],
    [
      'qwen2',
      parseModelConfig({
        architectures: ['Qwen2ForCausalLM'],
        vocab_size: 40,
        hidden_size: 16,
        intermediate_size: 20,
        num_hidden_layers: 3,
        num_attention_heads: 4,
        num_key_value_heads: 1,
      }),
    ],
    ['gpt2', parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 53, n_embd: 24, n_layer: 2, n_head: 3, n_positions: 64 })],
  ])('equals the sum of the parameter shapes (%s)', (_name, config) => {
    const fromSpecs = parameterSpecs(config).reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
    expect(modelParameterCount(config)).toBe(fromSpecs);
    expect(checkModelSize(config)).toBe(fromSpecs);
    expect(() => checkModelSize(config, { maxBytes: fromSpecs * 4 - 1 })).toThrow(/more than the .* allowed/);
  });
});
