/**
 * No leaks on webgpu: over 1,000 optimizer steps (forward, backward, global norm, fused AdamW, one
 * read-back a step) the live tensors, the GPU buffers in use and their bytes stay flat. The counts
 * after ten warm-up steps and at the end are printed, and must be equal.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { expect, it } from 'vitest';
import { parseModelConfig } from '../io/hf-config';
import { forEachBackend } from '../kernels/testing';
import { DecoderModel } from '../models';
import type { TrainingBatch } from './batching';
import { Optimizer, trainableSet } from './train-step';

const STEPS = 1000;

/** A packed batch of two rows, loss on every real next token. */
function batch(): TrainingBatch {
  const B = 2;
  const T = 8;
  const ids = Int32Array.from({ length: B * T }, (_, index) => (index * 5 + 3) % 40);
  const targets = Int32Array.from({ length: B * T }, (_, index) => (index * 5 + 8) % 40);
  return {
    B,
    T,
    ids,
    targets,
    lossMask: new Float32Array(B * T).fill(1),
    keyMask: new Float32Array(B * T).fill(1),
    segmentIds: Int32Array.from({ length: B * T }, (_, index) => (index % T < 5 ? 0 : 1)),
    positions: Int32Array.from({ length: B * T }, (_, index) => (index % T < 5 ? index % T : (index % T) - 5)),
    trainedTokens: B * T,
    examples: [0, 1],
  };
}

interface LiveCounts {
  tensors: number;
  buffersInUse: number;
  bytesInUse: number;
}

/** Returns the live counts once every queued command has run (buffers it held are back in the pool). */
async function liveCounts(): Promise<LiveCounts> {
  const backend = tf.backend() as unknown as WebGPUBackend;
  // A read submits tfjs's pending commands; waiting for the queue lets their buffers return to the pool.
  const probe = tf.tidy(() => tf.add(tf.zeros([4]), 1));
  await probe.data();
  probe.dispose();
  await backend.device.queue.onSubmittedWorkDone();
  return { tensors: tf.memory().numTensors, buffersInUse: backend.bufferManager.getNumUsedBuffers(), bytesInUse: backend.bufferManager.numBytesUsed };
}

await forEachBackend(['webgpu'], () => {
  it(`keeps live tensors and GPU buffers flat over ${STEPS} training steps`, async () => {
    const model = DecoderModel.create(
      parseModelConfig({
        architectures: ['LlamaForCausalLM'],
        vocab_size: 40,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        num_key_value_heads: 1,
        max_position_embeddings: 16,
      }),
      { seed: 4 },
    );
    const optimizer = new Optimizer(trainableSet(model));
    const fixed = [batch()];
    const config = { learningRate: 1e-3, weightDecay: 0.01, maxGradNorm: 1 };
    try {
      const first = await optimizer.step(model, fixed, true, config);
      // A few warm-up steps fill the buffer pool and compile every pipeline.
      for (let step = 1; step < 10; step++) await optimizer.step(model, fixed, true, config);
      const start = await liveCounts();
      let last = first;
      for (let step = 10; step < STEPS; step++) last = await optimizer.step(model, fixed, true, config);
      const end = await liveCounts();
      console.info(
        `webgpu over ${STEPS} steps: start ${JSON.stringify(start)}, end ${JSON.stringify(end)}; loss ${first.loss.toFixed(4)} -> ${last.loss.toFixed(4)}`,
      );
      expect(end).toEqual(start);
      // The steps did train (so the loop above is not a no-op).
      expect(last.skipped).toBe(false);
      expect(last.loss).toBeLessThan(first.loss * 0.5);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  }, 600_000);
});
