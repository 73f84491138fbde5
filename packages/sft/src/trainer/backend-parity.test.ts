/**
 * The whole training pipeline gives the same numbers on webgpu as on wasm: trainConditionedSFT from
 * the same initial weights and data, 20 optimizer steps, with packing or buckets, gradient
 * accumulation, attribute dropout and LoRA, for both model families. Per-step loss and gradient
 * norm (read from metrics.jsonl, as users see them) agree within 1e-3 relative. With CI=true the
 * webgpu half must run (lavapipe); any Dawn error fails the test (forEachBackend's check) or the
 * run itself (the trainer's read-backs).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { charTokenizer } from '@steerlm/core';
import { selectBackend, takeDeviceErrors } from '../backend';
import { parseModelConfig } from '../io/hf-config';
import { forEachBackend } from '../kernels/testing';
import { DecoderModel } from '../models';
import { comparisonRunOptions, TINY_RUN_FAMILIES } from './testing/tiny-run';
import { trainConditionedSFT, type TrainConditionedSFTOptions } from './train-conditioned-sft';

const STEPS = 20;
const RELATIVE_TOLERANCE = 1e-3;

const FAMILIES = TINY_RUN_FAMILIES;

type Family = keyof typeof FAMILIES;

/** LoRA adapts Linear layers; GPT-2's Conv1D layers are fine-tuned fully (lora.ts refuses them). */
const FAMILY_VARIANTS: Record<Family, readonly Variant[]> = {
  gpt2: ['full fine-tune, packed, accumulation 2, attribute dropout'],
  llama: ['full fine-tune, packed, accumulation 2, attribute dropout', 'LoRA, buckets, accumulation 2, attribute dropout'],
};

const VARIANTS = {
  'full fine-tune, packed, accumulation 2, attribute dropout': {
    batching: 'packed',
    batchSize: 2,
    gradientAccumulation: 2,
    attributeDropout: 0.3,
    maxSequenceLength: 64,
  },
  'LoRA, buckets, accumulation 2, attribute dropout': {
    batching: 'buckets',
    batchSize: 3,
    gradientAccumulation: 2,
    attributeDropout: 0.3,
    learningRate: 3e-2,
    lora: { rank: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'v_proj', 'gate_proj'] },
  },
} satisfies Record<string, Partial<TrainConditionedSFTOptions>>;

type Variant = keyof typeof VARIANTS;

interface StepMetrics {
  loss: number;
  gradNorm: number;
}

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-parity-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Returns the per-step loss and grad norm of a 20-step run on the active backend. */
async function trainRun(family: Family, variant: Variant, label: string): Promise<StepMetrics[]> {
  const model = DecoderModel.create(parseModelConfig(FAMILIES[family]), { seed: 11 });
  const outputDir = join(folder, `${family}-${variant.split(',')[0]!.replace(/\W+/g, '-')}-${label}`);
  try {
    const { summary } = await trainConditionedSFT({
      model,
      tokenizer: charTokenizer(),
      ...comparisonRunOptions(STEPS),
      outputDir,
      ...VARIANTS[variant],
    });
    expect(summary.steps).toBe(STEPS);
    expect(summary.skippedSteps).toBe(0);
  } finally {
    model.dispose();
  }
  const rows = (await readFile(join(outputDir, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { loss?: number; gradNorm?: number });
  return rows.filter((row) => row.loss !== undefined).map((row) => ({ loss: row.loss!, gradNorm: row.gradNorm! }));
}

const reference = new Map<string, StepMetrics[]>();

describe('on wasm (the reference)', () => {
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm', strict: true });
  });
  for (const family of Object.keys(FAMILIES) as Family[]) {
    for (const variant of FAMILY_VARIANTS[family]) {
      it(`trains ${family} (${variant}) for ${STEPS} steps`, async () => {
        const steps = await trainRun(family, variant, 'wasm');
        expect(steps).toHaveLength(STEPS);
        // A real start: uniform guessing over 260 ids costs ln 260 = 5.56, and the loss falls.
        expect(steps[0]!.loss).toBeGreaterThan(5.2);
        expect(steps[0]!.loss).toBeLessThan(5.9);
        // Rank-4 adapters on a random model move it less than a full fine-tune does.
        expect(steps.at(-1)!.loss).toBeLessThan(steps[0]!.loss - ('lora' in VARIANTS[variant] ? 0.1 : 0.5));
        for (const step of steps) expect(step.gradNorm).toBeGreaterThan(1e-3);
        reference.set(`${family} ${variant}`, steps);
      }, 120_000);
    }
  }
});

await forEachBackend(['webgpu'], () => {
  for (const family of Object.keys(FAMILIES) as Family[]) {
    for (const variant of FAMILY_VARIANTS[family]) {
      it(`matches wasm step by step for ${family} (${variant}): loss and grad norm within ${RELATIVE_TOLERANCE} relative`, async () => {
        takeDeviceErrors();
        const expected = reference.get(`${family} ${variant}`);
        expect(expected, 'the wasm run of the same case').toBeDefined();
        const steps = await trainRun(family, variant, 'webgpu');
        expect(steps).toHaveLength(STEPS);
        steps.forEach((step, index) => {
          const want = expected![index]!;
          expect(Math.abs(step.loss - want.loss) / want.loss, `loss at step ${index + 1}: webgpu ${step.loss}, wasm ${want.loss}`).toBeLessThan(
            RELATIVE_TOLERANCE,
          );
          expect(
            Math.abs(step.gradNorm - want.gradNorm) / want.gradNorm,
            `grad norm at step ${index + 1}: webgpu ${step.gradNorm}, wasm ${want.gradNorm}`,
          ).toBeLessThan(RELATIVE_TOLERANCE);
        });
        expect(tf.getBackend()).toBe('webgpu');
      }, 240_000);
    }
  }
});
