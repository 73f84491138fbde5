/**
 * Whole training steps on webgpu with the single-dispatch flash backward give the parameter gradients,
 * losses and gradient norms of the split backward (rowStats, dq, dk/dv passes) within 1e-5 relative, for GPT-2 (packed qkv)
 * and Llama (heads layout after RoPE, grouped-query heads), on a batch with two packed records in one
 * row and padding in the other; and each layer's backward takes two dispatches fewer.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { parseModelConfig } from '../../io/hf-config';
import { DecoderModel } from '../../models';
import { emptyBatch, type TrainingBatch } from '../../trainer/batching';
import { Optimizer, trainableSet } from '../../trainer/train-step';
import { dispatchCounts, dispatchCountsBetween } from '../runtime';
import { expectClose, forEachBackend, readFloat32 } from '../testing';
import { setAttentionBackwardPasses, type AttentionBackwardPasses } from './attention.op';

const [B, T, VOCABULARY, LAYERS] = [2, 19, 40, 2];

const FAMILIES = {
  gpt2: { architectures: ['GPT2LMHeadModel'], vocab_size: VOCABULARY, n_embd: 32, n_layer: LAYERS, n_head: 4, n_positions: 32 },
  llama: {
    architectures: ['LlamaForCausalLM'],
    vocab_size: VOCABULARY,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: LAYERS,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 32,
    tie_word_embeddings: false,
  },
} as const;

/** Row 0: records of 9 and 10 tokens packed side by side (segments 0 and 1); row 1: 12 tokens, then padding. */
function packedAndPaddedBatch(): TrainingBatch {
  const batch = emptyBatch(B, T, [0, 1, 2]);
  const records = [
    { row: 0, start: 0, length: 9, segment: 0 },
    { row: 0, start: 9, length: 10, segment: 1 },
    { row: 1, start: 0, length: 12, segment: 0 },
  ];
  for (const { row, start, length, segment } of records) {
    for (let t = 0; t < length; t++) {
      const index = row * T + start + t;
      batch.ids[index] = (row * 13 + segment * 7 + t * 5 + ((t * t) % 3)) % VOCABULARY;
      batch.targets[index] = (row * 13 + segment * 7 + (t + 1) * 5 + (((t + 1) * (t + 1)) % 3)) % VOCABULARY;
      batch.keyMask[index] = 1;
      batch.segmentIds[index] = segment;
      batch.positions[index] = t;
      if (t + 1 < length) {
        batch.lossMask[index] = 1;
        batch.trainedTokens++;
      }
    }
  }
  return batch;
}

interface StepRun {
  /** Every parameter's gradient on the batch, from the seeded model (before any step). */
  gradients: Float32Array[];
  losses: number[];
  gradNorms: number[];
  /** Our dispatches in the last step. */
  dispatches: number;
}

/** Returns the losses, grad norms and last step's dispatches of `steps` AdamW steps from a seeded model, with the given backward. */
async function run(family: keyof typeof FAMILIES, passes: AttentionBackwardPasses, steps: number): Promise<StepRun> {
  const previous = setAttentionBackwardPasses(passes);
  const model = DecoderModel.create(parseModelConfig(FAMILIES[family]), { seed: 11 });
  const optimizer = new Optimizer(trainableSet(model));
  const batch = packedAndPaddedBatch();
  const result: StepRun = { gradients: [], losses: [], gradNorms: [], dispatches: 0 };
  try {
    const { loss, grads } = optimizer.gradients(model, [batch], false, batch.trainedTokens);
    for (const gradient of grads) result.gradients.push(await readFloat32(gradient));
    tf.dispose([loss, ...grads]);
    for (let step = 0; step < steps; step++) {
      const before = dispatchCounts();
      const outcome = await optimizer.step(model, [batch], false, { learningRate: 1e-2, weightDecay: 0.01, maxGradNorm: 1 });
      result.dispatches = dispatchCountsBetween(before, dispatchCounts()).ours;
      result.losses.push(outcome.loss);
      result.gradNorms.push(outcome.gradNorm);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
    setAttentionBackwardPasses(previous);
  }
  return result;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

await forEachBackend(['webgpu'], () => {
  for (const family of ['gpt2', 'llama'] as const) {
    it(`${family}: three steps with the flash backward match the split backward (gradients, losses and grad norms within 1e-5), 2 dispatches fewer a layer`, async () => {
      const split = await run(family, 'split', 3);
      const flash = await run(family, 'flash', 3);
      // Each parameter's gradient (AdamW all but hides a scaled gradient in the next losses; these show it).
      flash.gradients.forEach((gradient, index) => {
        const scale = split.gradients[index]!.reduce((max, value) => Math.max(max, Math.abs(value)), 0);
        expectClose(gradient, split.gradients[index]!, { atol: 1e-6 * scale, rtol: 1e-5, label: `${family} gradient ${index}` });
      });
      // The steps train: the loss falls (so later steps compare weights updated by each backward's gradients).
      expect(flash.losses[2]!).toBeLessThan(flash.losses[0]!);
      flash.losses.forEach((loss, step) => {
        expect(relative(loss, split.losses[step]!), `loss at step ${step + 1}: flash ${loss}, split ${split.losses[step]}`).toBeLessThan(1e-5);
        expect(relative(flash.gradNorms[step]!, split.gradNorms[step]!), `grad norm at step ${step + 1}`).toBeLessThan(1e-5);
      });
      expect(split.dispatches - flash.dispatches).toBe(2 * LAYERS);
    }, 300_000);
  }
});
