import type { AttributeSchema, AttributeValues } from '../attributes';
import type { ConversationTurn } from '../prompt-template';

/** A response in its conversation: the turns before it (ending with the user turn) and the response. */
export interface ScoringInput {
  readonly system?: string;
  readonly context: readonly ConversationTurn[];
  readonly response: string;
}

export interface AttributeScore {
  /** Continuous predictions on the schema's scales (may fall outside the range). */
  readonly values: Readonly<Record<string, number>>;
  /** The predictions clamped to each attribute's range and rounded to its bins. */
  readonly rounded: AttributeValues;
}

/** Predicts attribute values of responses (SteerLM's attribute prediction model). */
export interface AttributeScorer {
  readonly specificationVersion: 'v1';
  readonly schema: AttributeSchema;
  /** Returns one score per input, in order. */
  score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]>;
}
