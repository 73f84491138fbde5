import type { AttributeSchema, AttributeValues } from '../attributes';
import { DEFAULT_SYSTEM_PROMPT, type Conversation, type LabelPlacement, type Role } from './conversation';

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

/**
 * What a piece of rendered text is: a turn's `header` (role line), its label's `label-start` token and
 * `label` value (with its newline in the SteerLM format), the `body` (the turn's text), the `end`
 * token that closes the turn and that the model learns to emit, or a `separator` between messages.
 */
export type SegmentPart = 'header' | 'label-start' | 'label' | 'body' | 'end' | 'separator';

/** A role-tagged piece of a rendered conversation; a template's segments concatenate to its render(). */
export interface TemplateSegment {
  readonly text: string;
  /** The turn it belongs to: -1 for the system prompt, else the index in `turns` (`turns.length` for an open generation turn). */
  readonly turn: number;
  readonly role: 'system' | Role;
  readonly part: SegmentPart;
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
  /** Returns the text of a conversation in this format: its segments, concatenated. */
  render(conversation: Conversation, options?: RenderOptions): string;
  /**
   * Returns the role-tagged segments of the rendered text (the trainer builds its loss masks from
   * them). The text that ends a trained last assistant turn, when render() has none, is
   * `stopStrings[0]` (SteerLM: the next `<extra_id_1>`).
   */
  segments(conversation: Conversation, options?: RenderOptions): TemplateSegment[];
  /** Returns the conversation a rendered text holds. */
  parse(text: string, options?: ParseOptions): Conversation;
}

/** The strings a chat format reserves: its special tokens, and those that end an assistant turn in generation. */
export interface TemplateTokens {
  readonly specialTokens: readonly string[];
  readonly stopStrings: readonly string[];
}

/**
 * Returns the frozen template `name` of the format that `segments` renders and `parse` reads back, with the
 * default system prompt and render() concatenating the segments' text.
 */
export function definePromptTemplate(
  name: string,
  tokens: TemplateTokens,
  segments: PromptTemplate['segments'],
  parse: PromptTemplate['parse'],
): PromptTemplate {
  return Object.freeze({
    name,
    specialTokens: Object.freeze([...tokens.specialTokens]),
    stopStrings: Object.freeze([...tokens.stopStrings]),
    defaultSystem: DEFAULT_SYSTEM_PROMPT,
    render(conversation: Conversation, options: RenderOptions = {}): string {
      return segments(conversation, options)
        .map((segment) => segment.text)
        .join('');
    },
    segments,
    parse,
  });
}
