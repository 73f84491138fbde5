import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseModelConfig, type ModelConfig } from '../io/hf-config';
import { DecoderModel } from './decoder-model';
import { generateTokens } from './generate-tokens';
import { LocalLanguageModel } from './local-language-model';
import { byteTokenizer } from './testing/byte-tokenizer';

const llamaConfig = (): ModelConfig =>
  parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: 61,
    hidden_size: 24,
    intermediate_size: 40,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    max_position_embeddings: 64,
    tie_word_embeddings: false,
  });

const gpt2Config = (): ModelConfig =>
  parseModelConfig({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 53, n_embd: 24, n_layer: 2, n_head: 3, n_positions: 64 });

function greedyByRecompute(model: DecoderModel, prompt: number[], steps: number): number[] {
  const ids = [...prompt];
  for (let step = 0; step < steps; step++) {
    const next = tf.tidy(() => {
      const logits = model.logits({ ids: tf.tensor2d([ids], [1, ids.length], 'int32') });
      return tf.argMax(logits.slice([ids.length - 1, 0], [1, -1]), -1).dataSync()[0]!;
    });
    ids.push(next);
  }
  return ids.slice(prompt.length);
}

describe.each([
  ['llama', llamaConfig],
  ['gpt2', gpt2Config],
])('%s decoder', (_name, makeConfig) => {
  let model: DecoderModel;
  let folder: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = DecoderModel.create(makeConfig(), { seed: 3 });
    // Larger weights than the init so that greedy decoding is not trivially constant.
    for (const variable of model.parameters.values()) if (variable.shape.length === 2) variable.assign(tf.mul(variable, 20));
    folder = await mkdtemp(join(tmpdir(), 'steerlm-model-'));
  });
  afterAll(async () => {
    model.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  it('produces logits [B*T, V]', () => {
    const logits = model.logits({
      ids: tf.tensor2d(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        [2, 3],
        'int32',
      ),
    });
    expect(logits.shape).toEqual([6, model.config.vocabSize]);
  });

  it('KV-cache batched decoding equals greedy recomputation, for prompts of different lengths', async () => {
    const prompts = [
      [1, 7, 9, 2, 11],
      [3, 4],
    ];
    const produced: number[][] = [[], []];
    for await (const step of generateTokens(model, prompts, { maxTokens: 6, temperature: 0 })) {
      step.tokens.forEach((token, row) => token !== undefined && produced[row]!.push(token));
    }
    expect(produced[0]).toEqual(greedyByRecompute(model, prompts[0]!, 6));
    expect(produced[1]).toEqual(greedyByRecompute(model, prompts[1]!, 6));
  });

  it('save → load gives an identical forward pass', async () => {
    await model.save(folder);
    const loaded = await DecoderModel.load(folder);
    const ids = tf.tensor2d([[5, 1, 2, 8]], [1, 4], 'int32');
    expect(loaded.logits({ ids }).arraySync()).toEqual(model.logits({ ids }).arraySync());
    loaded.dispose();
  });
});

describe('LoRA', () => {
  it('merged and unmerged adapters agree, and adapters save/load alone', async () => {
    await tf.setBackend('cpu');
    const model = DecoderModel.create(llamaConfig(), { seed: 5 });
    const targets = model.addLora({ rank: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] });
    expect(targets).toHaveLength(4);
    expect(model.trainableVariables()).toHaveLength(8);
    for (const adapter of model.adapters.values()) adapter.b.assign(tf.randomNormal(adapter.b.shape, 0, 0.5, 'float32', 9));
    const ids = tf.tensor2d([[5, 1, 2, 8, 3]], [1, 5], 'int32');
    const withAdapters = model.logits({ ids }).arraySync() as number[][];
    const folder = await mkdtemp(join(tmpdir(), 'steerlm-lora-'));
    await model.saveLora(folder);
    const copy = DecoderModel.create(llamaConfig(), { seed: 5 });
    await copy.loadLora(folder);
    expect(copy.logits({ ids }).arraySync()).toEqual(withAdapters);
    model.mergeLora();
    const merged = model.logits({ ids }).arraySync() as number[][];
    merged.flat().forEach((value, index) => expect(value).toBeCloseTo(withAdapters.flat()[index]!, 4));
    await rm(folder, { recursive: true, force: true });
  });
});

describe('LocalLanguageModel', () => {
  it('generates, stops at the stop string, streams the same text and scores continuations', async () => {
    await tf.setBackend('cpu');
    const config = parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: 256, n_embd: 16, n_layer: 1, n_head: 2, n_positions: 128 });
    const model = DecoderModel.create(config, { seed: 1 });
    const lm = new LocalLanguageModel(model, byteTokenizer());
    const options = { maxTokens: 12, temperature: 0.9, seed: 4, stop: ['e'] };
    const result = await lm.generate('hello', options);
    expect(result.text).not.toContain('e');
    expect(result.usage.promptTokens).toBe(5);
    let streamed = '';
    for await (const piece of lm.stream('hello', options)) streamed += piece;
    expect(streamed).toBe(result.text);
    const scored = await lm.logProbability('ab', 'cd');
    expect(scored.tokens).toBe(2);
    // The exact value: log-softmax (in f64, from the model's logits for "abcd") of "c" after "ab" plus "d" after "abc".
    const ids = [...new TextEncoder().encode('abcd')];
    const logits = tf.tidy(() => model.logits({ ids: tf.tensor2d([ids], [1, ids.length], 'int32') }).arraySync());
    const logSoftmaxAt = (row: number[], id: number): number => {
      const maximum = Math.max(...row);
      return row[id]! - maximum - Math.log(row.reduce((sum, value) => sum + Math.exp(value - maximum), 0));
    };
    const expected = logSoftmaxAt(logits[1]!, ids[2]!) + logSoftmaxAt(logits[2]!, ids[3]!);
    expect(scored.logProbability).toBeCloseTo(expected, 4);
  });
});

describe('vocabulary growth and bad model folders', () => {
  it('grows the embeddings for added special tokens, keeping existing logits', async () => {
    await tf.setBackend('cpu');
    const model = DecoderModel.create(llamaConfig(), { seed: 2 });
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const before = model.logits({ ids }).arraySync() as number[][];
    model.resizeTokenEmbeddings(64);
    expect(model.config.vocabSize).toBe(64);
    expect(model.get('model.embed_tokens.weight').shape).toEqual([64, 24]);
    const after = model.logits({ ids }).arraySync() as number[][];
    after.forEach((row, t) => row.slice(0, 61).forEach((value, v) => expect(value).toBeCloseTo(before[t]![v]!, 5)));
    expect(() => model.resizeTokenEmbeddings(10)).toThrow(/can only grow/);
    model.dispose();
  });

  it('refuses folders with a wrong shape, a missing tensor or an unknown architecture, naming what is wrong', async () => {
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { writeSafetensors } = await import('../io/safetensors');
    const root = await mkdtemp(join(tmpdir(), 'steerlm-bad-'));
    const model = DecoderModel.create(gpt2Config(), { seed: 1 });
    const good = join(root, 'good');
    await model.save(good);
    const config = await (await import('node:fs/promises')).readFile(join(good, 'config.json'), 'utf8');

    const misshapen = join(root, 'misshapen');
    await mkdir(misshapen);
    await writeFile(join(misshapen, 'config.json'), config);
    const entries = [...model.parameters].map(([name, variable]) => ({
      name,
      dtype: 'F32' as const,
      shape: name === 'transformer.ln_f.bias' ? [variable.size - 1] : variable.shape,
      data: () => (name === 'transformer.ln_f.bias' ? (variable.dataSync() as Float32Array).slice(1) : (variable.dataSync() as Float32Array)),
    }));
    await writeSafetensors(join(misshapen, 'model.safetensors'), entries);
    await expect(DecoderModel.load(misshapen)).rejects.toThrow(/"transformer.ln_f.bias" has shape \[23\], expected \[24\]/);

    const missing = join(root, 'missing');
    await mkdir(missing);
    await writeFile(join(missing, 'config.json'), config);
    await writeSafetensors(
      join(missing, 'model.safetensors'),
      entries
        .filter((entry) => entry.name !== 'transformer.h.1.mlp.c_fc.weight')
        .map((entry) => ({ ...entry, shape: model.get(entry.name).shape, data: () => model.get(entry.name).dataSync() as Float32Array })),
    );
    await expect(DecoderModel.load(missing)).rejects.toThrow(/missing 1 tensor\(s\): transformer.h.1.mlp.c_fc.weight/);

    const unknown = join(root, 'unknown');
    await mkdir(unknown);
    await writeFile(join(unknown, 'config.json'), JSON.stringify({ architectures: ['BertForMaskedLM'], model_type: 'bert' }));
    await expect(DecoderModel.load(unknown)).rejects.toThrow(/unsupported architecture "BertForMaskedLM"/);
    model.dispose();
    await rm(root, { recursive: true, force: true });
  });
});
