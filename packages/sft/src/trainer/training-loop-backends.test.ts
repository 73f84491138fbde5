/**
 * A tiny training loop written with the fused ops (embedding, norms, activations, rope, attention,
 * matmul, cross-entropy, AdamW through DecoderModel and Optimizer) lowers the loss on a fixed batch
 * on every backend: cpu, wasm and webgpu (lavapipe here; with CI=true webgpu must run, not skip),
 * and wasm and webgpu match cpu's loss and grad norm within 1e-3 relative at each of the 12 steps.
 */
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { adamwUsesKernel } from '../kernels/adamw';
import { causalAttentionOp } from '../kernels/attention/attention.op';
import { matmulUsesKernel } from '../kernels/matmul';
import { forEachBackend } from '../kernels/testing';
import { DecoderModel } from '../models';
import { emptyBatch, type TrainingBatch } from './batching';
import { Optimizer, trainableSet } from './train-step';

const B = 2;
const T = 16;
const VOCABULARY = 48;

const FAMILIES = {
  gpt2: { architectures: ['GPT2LMHeadModel'], vocab_size: VOCABULARY, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 32 },
  llama: {
    architectures: ['LlamaForCausalLM'],
    vocab_size: VOCABULARY,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 32,
    tie_word_embeddings: false,
  },
} as const;

/** A fixed batch: row 0 full, row 1 padded after 11 tokens, loss on every real next token. */
function fixedBatch(): TrainingBatch {
  const batch = emptyBatch(B, T, [0, 1]);
  batch.segmentIds.fill(0);
  const lengths = [T, 11];
  for (let row = 0; row < B; row++) {
    const sequence = Array.from({ length: lengths[row]! + 1 }, (_, t) => (row * 17 + t * 7 + ((t * t) % 5)) % VOCABULARY);
    for (let t = 0; t < lengths[row]!; t++) {
      const index = row * T + t;
      batch.ids[index] = sequence[t]!;
      batch.targets[index] = sequence[t + 1]!;
      batch.keyMask[index] = 1;
      batch.positions[index] = t;
      if (t + 1 < lengths[row]!) {
        batch.lossMask[index] = 1;
        batch.trainedTokens++;
      }
    }
  }
  return batch;
}

interface StepValues {
  loss: number;
  gradNorm: number;
}

/** Returns the loss and grad norm of `steps` AdamW steps on the fixed batch, from a seeded model of `family`. */
async function trainingSteps(family: keyof typeof FAMILIES, steps: number): Promise<StepValues[]> {
  const model = DecoderModel.create(parseModelConfig(FAMILIES[family]), { seed: 3 });
  const optimizer = new Optimizer(trainableSet(model));
  const batch = fixedBatch();
  const values: StepValues[] = [];
  try {
    const before = tf.memory().numTensors;
    for (let step = 0; step < steps; step++) {
      const outcome = await optimizer.step(model, [batch], false, { learningRate: 1e-2, weightDecay: 0.01, maxGradNorm: 1 });
      expect(outcome.skipped).toBe(false);
      values.push({ loss: outcome.loss, gradNorm: outcome.gradNorm });
    }
    // The steps leave no tensor behind: the variables and moments are replaced in place.
    expect(tf.memory().numTensors).toBe(before);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return values;
}

const STEPS = 12;
/** The cpu run of each family: every other backend must match it step by step. */
const reference = new Map<string, StepValues[]>();

await forEachBackend(['cpu', 'wasm', 'webgpu'], (context) => {
  for (const family of ['gpt2', 'llama'] as const) {
    it(`trains ${family} on a fixed batch with the same loss and grad norm as cpu at every step`, async () => {
      if (context.backend === 'webgpu') {
        expect(matmulUsesKernel() && adamwUsesKernel() && causalAttentionOp.usesKernel()).toBe(true);
      }
      const steps = await trainingSteps(family, STEPS);
      // Uniform guessing over the vocabulary costs ln(48) = 3.87; twelve steps at 1e-2 more than halve it.
      expect(steps[0]!.loss).toBeGreaterThan(3.5);
      expect(steps[0]!.loss).toBeLessThan(4.3);
      expect(steps.at(-1)!.loss).toBeLessThan(0.5 * steps[0]!.loss);
      // Clipping at 1 acts on real gradients: the first norms are well above zero.
      expect(steps[0]!.gradNorm).toBeGreaterThan(0.1);
      if (context.backend === 'cpu') {
        reference.set(family, steps);
        return;
      }
      const expected = reference.get(family);
      expect(expected, 'the cpu run of the same family (run the whole file)').toBeDefined();
      steps.forEach((step, index) => {
        const want = expected![index]!;
        expect(Math.abs(step.loss - want.loss) / want.loss, `loss at step ${index + 1} (${context.backend} ${step.loss}, cpu ${want.loss})`).toBeLessThan(1e-3);
        expect(Math.abs(step.gradNorm - want.gradNorm) / want.gradNorm, `grad norm at step ${index + 1}`).toBeLessThan(1e-3);
      });
    }, 60_000);
  }
});
