/**
 * A whole training run on the wasm backend with the host matmuls on MLAS (the default where
 * onnxruntime-node loads) against the same run on XNNPACK (hostMatmul 'backend'): the loss of every
 * step and the final weights agree within 1e-4 relative, for a GPT-2-family model (Conv1D affine
 * maps, packed attention) and a Llama-family one (Linear-layout matmuls, grouped-query attention).
 * The MLAS run must make MLAS calls and the backend run none; the engine is restored after each run.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { charTokenizer } from '@steerlm/core';
import { selectBackend } from '../backend';
import { parseModelConfig } from '../io/hf-config';
import { mlasCallCount } from '../kernels/host/mlas-gemm';
import { hostMatmulEngine, setHostMatmulEngine } from '../kernels/host/mlas-ops';
import { DecoderModel } from '../models';
import { tinyConversations, tinyLlamaConfigJson } from './testing/tiny-run';
import { trainConditionedSFT } from './train-conditioned-sft';

const GPT2 = { architectures: ['GPT2LMHeadModel'], vocab_size: 260, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 128 };

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', strict: true });
  expect(tf.getBackend()).toBe('wasm');
});

async function run(config: Record<string, unknown>, hostMatmul: 'mlas' | 'backend') {
  const model = DecoderModel.create(parseModelConfig(config), { seed: 11 });
  const before = mlasCallCount();
  try {
    const { summary } = await trainConditionedSFT({
      model,
      tokenizer: charTokenizer(),
      train: tinyConversations(6),
      batchSize: 3,
      epochs: 3,
      learningRate: 3e-3,
      seed: 2,
      hostMatmul,
    });
    const weights = await Promise.all([...model.parameters.values()].map(async (variable) => (await variable.data()) as Float32Array));
    return { losses: summary.lossCurve.map((point) => point.loss), weights, mlasCalls: mlasCallCount() - before };
  } finally {
    model.dispose();
  }
}

function relativeDifference(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-3);
}

it.each([
  ['gpt2', GPT2],
  ['llama', tinyLlamaConfigJson()],
])(
  'trains %s on wasm with MLAS matmuls to the same losses and weights as on XNNPACK',
  async (_family, config) => {
    expect(hostMatmulEngine()).toBe('mlas');
    const xnnpack = await run(config, 'backend');
    expect(hostMatmulEngine()).toBe('mlas');
    expect(xnnpack.mlasCalls).toBe(0);
    const mlas = await run(config, 'mlas');
    expect(mlas.mlasCalls).toBeGreaterThan(0);
    expect(mlas.losses).toHaveLength(6);
    expect(xnnpack.losses).toHaveLength(6);
    // The run learns (the losses move), and every step's loss agrees.
    expect(mlas.losses.at(-1)!).toBeLessThan(mlas.losses[0]! - 0.1);
    mlas.losses.forEach((loss, step) => expect(relativeDifference(loss, xnnpack.losses[step]!), `loss at step ${step + 1}`).toBeLessThan(1e-4));
    let worst = 0;
    mlas.weights.forEach((values, index) => {
      const reference = xnnpack.weights[index]!;
      for (let i = 0; i < values.length; i++) worst = Math.max(worst, Math.abs(values[i]! - reference[i]!));
    });
    expect(worst, 'largest weight difference after the run').toBeLessThan(1e-4);
  },
  120_000,
);

it('restores the engine a run was given', async () => {
  setHostMatmulEngine('backend');
  try {
    await run(GPT2, 'mlas');
    expect(hostMatmulEngine()).toBe('backend');
  } finally {
    setHostMatmulEngine('mlas');
  }
}, 60_000);
