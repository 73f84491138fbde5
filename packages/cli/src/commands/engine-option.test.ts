import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecoderModel, parseModelConfig, trainByteLevelBpe, writeByteLevelBpeTokenizer } from '@steerlm/sft';
import { runCommandInProcess } from '../testing/run-command-in-process';

let folder: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  folder = await mkdtemp(join(tmpdir(), 'steerlm-engine-'));
  const corpus = Array.from({ length: 40 }, (_, index) => `a short sentence number ${index} about cats and dogs`);
  await writeByteLevelBpeTokenizer(folder, await trainByteLevelBpe(corpus, { vocabSize: 300 }));
  const model = DecoderModel.create(
    parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 320,
      hidden_size: 16,
      intermediate_size: 32,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      max_position_embeddings: 512,
    }),
    { seed: 3 },
  );
  await model.save(folder);
  model.dispose();
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Runs generate greedily; returns the streamed text and the engine its note names. */
async function generate(engine?: string): Promise<{ code: number; text: string; engine: string | undefined }> {
  const run = await runCommandInProcess([
    'generate',
    '--model',
    folder,
    'Tell me about cats.',
    '--temperature',
    '0',
    '--max-tokens',
    '12',
    '--backend',
    'cpu',
    ...(engine ? ['--engine', engine] : []),
  ]);
  return { code: run.code, text: run.stdout, engine: /· engine (\w+)/.exec(run.stderr)?.[1] };
}

describe('--engine', () => {
  it('decodes a model folder on onnxruntime by default, with the same greedy text as on tfjs', async () => {
    const tfjs = await generate('tfjs');
    const onnxruntime = await generate('onnxruntime');
    const auto = await generate();
    expect([tfjs.code, onnxruntime.code, auto.code]).toEqual([0, 0, 0]);
    expect([tfjs.engine, onnxruntime.engine, auto.engine]).toEqual(['tfjs', 'onnxruntime', 'onnxruntime']);
    expect(tfjs.text.trim().length).toBeGreaterThan(0);
    expect(onnxruntime.text).toBe(tfjs.text);
    expect(auto.text).toBe(tfjs.text);
  });

  it('rejects an unknown engine, naming the choices', async () => {
    const run = await runCommandInProcess(['generate', '--model', folder, 'Hi', '--engine', 'fast']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('auto, onnxruntime, tfjs');
  });
});
