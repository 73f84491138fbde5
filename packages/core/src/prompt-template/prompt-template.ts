import type { AttributeSchema, AttributeValues } from '../attributes';
import type { Conversation, LabelPlacement } from './conversation';

export interface RenderOptions {
  /** The schema that formats and validates labels (default: STEERLM). */
  schema?: AttributeSchema;
  /** Where labels go (default: VALUE_TO_TEXT). */
  placement?: LabelPlacement;
  /**
   * Append an open assistant turn for a model to continue; with `attributes` set, the label line of
   * the conditioned generation format comes first.
   */
  generation?: { attributes?: AttributeValues };
}

export interface ParseOptions {
  schema?: AttributeSchema;
  /** Where labels are; by default each assistant turn's label position is detected. */
  placement?: LabelPlacement;
}

/** A chat format: renders conversations to model text and parses it back (`parse(render(c))` equals `c`). */
export interface PromptTemplate {
  readonly name: string;
  /** Tokens the format reserves; turn texts may not contain them. */
  readonly specialTokens: readonly string[];
  /** Strings that end an assistant turn in generation. */
  readonly stopStrings: readonly string[];
  /** The system prompt used when a conversation has none. */
  readonly defaultSystem: string;
  /** Returns the text of a conversation in this format. */
  render(conversation: Conversation, options?: RenderOptions): string;
  /** Returns the conversation a rendered text holds. */
  parse(text: string, options?: ParseOptions): Conversation;
}
