import type { AttributeValues } from '../attributes';

/** Who speaks a turn. */
export type Role = 'user' | 'assistant';

/** One turn of a conversation; `attributes` (assistant turns only) is the turn's label when known. */
export interface ConversationTurn {
  readonly role: Role;
  readonly text: string;
  readonly attributes?: AttributeValues;
  /**
   * false: the turn is context only and never trained, e.g. the earlier assistant turn of a HelpSteer2
   * multi-turn prompt, which NeMo-Aligner keeps inside one masked user turn. Default: assistant turns
   * are trained.
   */
  readonly train?: boolean;
}

/** A system prompt and alternating turns; `system` falls back to the template's default when absent. */
export interface Conversation {
  readonly system?: string;
  readonly turns: readonly ConversationTurn[];
  /**
   * How the conversation is trained (default VALUE_TO_TEXT): the label before each response and the
   * response as target, or (TEXT_TO_VALUE, NeMo's record `type`) the label after it as target.
   */
  readonly placement?: LabelPlacement;
}

/**
 * Where an attribute label goes: before the response (VALUE_TO_TEXT: conditioned generation, the SFT
 * format) or after it (TEXT_TO_VALUE: attribute prediction).
 */
export type LabelPlacement = 'VALUE_TO_TEXT' | 'TEXT_TO_VALUE';

/** The default SteerLM system prompt (NeMo-Aligner's). */
export const DEFAULT_SYSTEM_PROMPT =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";
