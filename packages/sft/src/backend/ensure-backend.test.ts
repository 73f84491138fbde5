/**
 * DecoderModel.load with no backend chosen (a fresh module state: this file never selects one before
 * the load) makes the default choice instead of failing inside tfjs. The model folder is written
 * without tfjs (core's safetensors codec), so nothing touches a backend before the load.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { encodeSafetensors } from '@steerlm/core';
import { expect, it } from 'vitest';
import { parseModelConfig, writeModelConfig } from '../io/hf-config';
import { DecoderModel } from '../models/decoder-model';
import { parameterSpecs } from '../models/parameter-specs';
import { ensureBackend } from './ensure-backend';
import { currentSelection } from './select-backend';

it('DecoderModel.load makes the default backend choice when none was made, then ensureBackend keeps it', async () => {
  expect((tf.engine() as unknown as { backendName: string | null }).backendName).toBeFalsy();
  const folder = await mkdtemp(join(tmpdir(), 'steerlm-ensure-backend-'));
  try {
    const config = parseModelConfig({
      architectures: ['LlamaForCausalLM'],
      vocab_size: 16,
      hidden_size: 8,
      intermediate_size: 16,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      max_position_embeddings: 8,
    });
    await writeModelConfig(folder, config);
    const entries = parameterSpecs(config).map((spec) => ({
      name: spec.name,
      dtype: 'F32' as const,
      shape: spec.shape,
      data: new Float32Array(spec.shape.reduce((a, b) => a * b, 1)).fill(0.5),
    }));
    await writeFile(join(folder, 'model.safetensors'), encodeSafetensors(entries));
    const model = await DecoderModel.load(folder);
    const selection = currentSelection();
    expect(selection).not.toBeNull();
    expect(tf.getBackend()).toBe(selection!.backend);
    const logits = model.logits({ ids: tf.tensor2d([[1, 2, 3]], [1, 3], 'int32') });
    expect(logits.shape).toEqual([3, 16]);
    expect(Array.from(await logits.data()).every(Number.isFinite)).toBe(true);
    logits.dispose();
    model.dispose();
    // A backend is active now: nothing more is chosen.
    expect(await ensureBackend()).toBeNull();
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
