import { steerLM2ResponseConversation, type AttributeSchema, type PromptTemplate, type SteerLM2Record, type Tokenizer } from '@steerlm/core';
import { bucketBatches, type TrainingBatch } from './batching';
import { tokenizeConversation } from './loss-mask';
import type { SteerLM2Response } from './steerlm2-objective';

/** All n responses of one prompt as one batch, with what SteerLM 2.0's weights need. */
export interface SteerLM2Group {
  /** One row per response; `batch.examples[row]` is the response's index in the record. */
  batch: TrainingBatch;
  /** The record's log-probabilities, in response order. */
  responses: SteerLM2Response[];
  /** The record's position in the training data. */
  record: number;
}

export interface SteerLM2GroupOptions {
  schema?: AttributeSchema;
  template?: PromptTemplate;
  maxSequenceLength?: number;
}

/**
 * Returns the batch of a SteerLM 2.0 record, as NeMo-Aligner's SteerLM2Dataset builds it: for each
 * response, the prompt (system, prompt turns, the assistant header and the record's label line) and
 * the response tokenized whole, trained on the response and the end that closes it
 * (`y\n<extra_id_1>`). Undefined when truncation leaves some response nothing to train (the weights
 * need all n).
 */
export function steerLM2Group(record: SteerLM2Record, index: number, tokenizer: Tokenizer, options: SteerLM2GroupOptions = {}): SteerLM2Group | undefined {
  const examples = record.responses.map((_, response) =>
    tokenizeConversation(steerLM2ResponseConversation(record, response, options.schema ? { schema: options.schema } : {}), tokenizer, {
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.template ? { template: options.template } : {}),
      ...(options.maxSequenceLength !== undefined ? { maxSequenceLength: options.maxSequenceLength } : {}),
    }),
  );
  if (examples.some((example) => example === undefined)) return undefined;
  const [batch] = bucketBatches(examples as NonNullable<(typeof examples)[number]>[], { batchSize: examples.length, random: () => 0, bucketWindow: 1 });
  return {
    batch: batch!,
    record: index,
    responses: record.responses.map((response) => ({
      logAttributeProbability: response['log(P(a|x,y))'],
      logResponseProbability: response['log(P(y|x))'],
      logReferenceProbability: response['log(Q(y|a,x))'],
    })),
  };
}
