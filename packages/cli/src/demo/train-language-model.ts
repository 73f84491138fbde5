import type { Conversation, ProgressListener, Tokenizer } from '@steerlm/core';
import { STEERBENCH_SCHEMA } from '@steerlm/evaluators';
import { DecoderModel, parseModelConfig, trainConditionedSFT, unknownFamily, type TrainSummary } from '@steerlm/sft';
import type { DemoModelShape } from './demo-options';

/** The longest SteerBench conversation in tokens (system, question, label and a ≤ 7-sentence response). */
export const DEMO_SEQUENCE_LENGTH = 160;

/** Returns a new, randomly initialised decoder of `shape` over the tokenizer's vocabulary. */
export function createDemoModel(shape: DemoModelShape, vocabSize: number, seed: number): DecoderModel {
  return DecoderModel.create(parseModelConfig(demoModelConfig(shape, vocabSize)), { seed });
}

/** Returns the config.json object of a small model of `shape`. */
function demoModelConfig(shape: DemoModelShape, vocabSize: number): Record<string, unknown> {
  const family = shape.family;
  switch (family) {
    case 'gpt2':
      return {
        architectures: ['GPT2LMHeadModel'],
        vocab_size: vocabSize,
        n_embd: shape.hiddenSize,
        n_layer: shape.layers,
        n_head: shape.heads,
        n_positions: DEMO_SEQUENCE_LENGTH + 64,
      };
    case 'llama':
      return {
        architectures: ['LlamaForCausalLM'],
        vocab_size: vocabSize,
        hidden_size: shape.hiddenSize,
        intermediate_size: shape.hiddenSize * 2,
        num_hidden_layers: shape.layers,
        num_attention_heads: shape.heads,
        num_key_value_heads: shape.heads,
        max_position_embeddings: DEMO_SEQUENCE_LENGTH + 64,
        tie_word_embeddings: true,
      };
    default:
      return unknownFamily(family);
  }
}

/** Settings of one SFT run of the demo. */
export interface DemoTrainingSettings {
  readonly steps: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly warmupSteps?: number;
  readonly onEvent?: ProgressListener;
  readonly signal?: AbortSignal;
}

/** Trains `model` in place on the conversations (labelled ones are conditioned SFT, unlabelled ones plain SFT) and returns the summary. */
export async function trainDemoModel(
  model: DecoderModel,
  tokenizer: Tokenizer,
  conversations: readonly Conversation[],
  settings: DemoTrainingSettings,
): Promise<TrainSummary> {
  const { summary } = await trainConditionedSFT({
    model,
    tokenizer,
    train: conversations,
    schema: STEERBENCH_SCHEMA,
    maxSequenceLength: DEMO_SEQUENCE_LENGTH,
    batchSize: settings.batchSize,
    epochs: 1000,
    maxSteps: settings.steps,
    learningRate: settings.learningRate,
    warmupSteps: settings.warmupSteps ?? Math.min(20, Math.floor(settings.steps / 10)),
    weightDecay: 0.01,
    seed: settings.seed,
    ...(settings.onEvent ? { onEvent: settings.onEvent } : {}),
    ...(settings.signal ? { signal: settings.signal } : {}),
  });
  return summary;
}
