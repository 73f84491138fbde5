/**
 * The data step of conditioned SFT: conversations tokenized with their loss masks (attribute
 * dropout drawn again each epoch when asked), and each epoch's batches in a seeded order.
 */
import { STEERLM, seededRandom, TrainingError, type AttributeSchema, type Conversation, type PromptTemplate, type Tokenizer } from '@steerlm/core';
import { dropAttributes } from './attribute-dropout';
import { bucketBatches, packedBatches, type TrainingBatch } from './batching';
import { tokenizeConversation, type TokenizedExample } from './loss-mask';

/** How conversations become tokenized examples. */
export interface SftTokenizeOptions {
  tokenizer: Tokenizer;
  schema?: AttributeSchema | undefined;
  template?: PromptTemplate | undefined;
  multiTurn?: boolean | undefined;
  maxSequenceLength: number;
  truncationSide?: 'left' | 'right' | undefined;
  /** Probability of dropping each attribute from a label (0: none). */
  attributeDropout: number;
}

/** How examples are grouped into batches. */
export interface SftBatchOptions {
  batchSize: number;
  packed: boolean;
  seed: number;
}

/** Returns the tokenized examples of `conversations` and how many were dropped (no trained token left); `random` draws attribute dropout. */
export function tokenizeConversations(
  conversations: readonly Conversation[],
  options: SftTokenizeOptions,
  random?: () => number,
): { examples: TokenizedExample[]; dropped: number } {
  const examples: TokenizedExample[] = [];
  let dropped = 0;
  for (const conversation of conversations) {
    const source = random && options.attributeDropout > 0 ? dropAttributes(conversation, options.attributeDropout, random) : conversation;
    const example = tokenizeConversation(source, options.tokenizer, {
      schema: options.schema ?? STEERLM,
      multiTurn: options.multiTurn ?? true,
      ...(options.template ? { template: options.template } : {}),
      maxSequenceLength: options.maxSequenceLength,
      truncationSide: options.truncationSide ?? 'right',
    });
    if (example) examples.push(example);
    else dropped++;
  }
  return { examples, dropped };
}

/** The training examples of a run and the batches of each epoch. */
export class SftExamples {
  readonly conversations: readonly Conversation[];
  /** The examples without attribute dropout, and how many conversations had no trained token. */
  readonly firstPass: { examples: TokenizedExample[]; dropped: number };
  private readonly tokenizing: SftTokenizeOptions;
  private readonly batching: SftBatchOptions;

  /** Throws a TrainingError when no conversation keeps a trained token. */
  constructor(conversations: readonly Conversation[], tokenizing: SftTokenizeOptions, batching: SftBatchOptions) {
    this.conversations = conversations;
    this.tokenizing = tokenizing;
    this.batching = batching;
    this.firstPass = tokenizeConversations(conversations, tokenizing);
    if (this.firstPass.examples.length === 0) {
      throw new TrainingError(`none of the ${conversations.length} training records has a trained token`, {
        hint: 'check that records have assistant turns and that maxSequenceLength keeps them',
      });
    }
  }

  /** Returns the batches of `epoch`: attribute dropout drawn for that epoch, then shuffled and batched with the epoch's seed. */
  epochBatches(epoch: number): TrainingBatch[] {
    const { seed, batchSize, packed } = this.batching;
    const examples =
      this.tokenizing.attributeDropout > 0
        ? tokenizeConversations(this.conversations, this.tokenizing, seededRandom(seed * 7919 + epoch)).examples
        : this.firstPass.examples;
    const random = seededRandom(seed * 104729 + epoch);
    return packed
      ? packedBatches(examples, { batchSize, sequenceLength: this.tokenizing.maxSequenceLength, random })
      : bucketBatches(examples, { batchSize, random });
  }

  /** Returns the number of trained tokens over all examples (without attribute dropout). */
  trainedTokens(): number {
    return this.firstPass.examples.reduce((sum, example) => sum + example.trained.filter(Boolean).length, 0);
  }
}
