import { STEERLM, validateAttributes, type AttributeSchema, type AttributeValues } from '../attributes';
import { TemplateError } from '../errors';
import type { ConversationTurn } from './conversation';
import type { PromptTemplate } from './prompt-template';
import { steerlmTemplate } from './steerlm-template';

export interface ConditionPromptOptions {
  /** The system prompt (default: the template's default SteerLM system prompt). */
  system?: string;
  /** A single user message; give either `prompt` or `turns`. */
  prompt?: string;
  /** Earlier turns, ending with the user turn to answer; assistant turns may carry their own labels. */
  turns?: readonly ConversationTurn[];
  /** The attribute values to steer the response with; omit for an unconditioned prompt. */
  attributes?: Readonly<Record<string, number | undefined>>;
  /** The schema the attributes belong to (default: STEERLM, the nine NeMo-Aligner attributes). */
  schema?: AttributeSchema;
  /** The chat format (default: NeMo-Aligner's SteerLM template). */
  template?: PromptTemplate;
}

/**
 * Returns the text a model continues to answer the last user turn under the requested attribute
 * values, e.g. `…<extra_id_1>Assistant\n<extra_id_2>quality:4,toxicity:0\n`.
 */
export function conditionPrompt(options: ConditionPromptOptions): string {
  const schema = options.schema ?? STEERLM;
  const template = options.template ?? steerlmTemplate;
  if ((options.prompt === undefined) === (options.turns === undefined)) {
    throw new TemplateError('give exactly one of `prompt` (a user message) or `turns` (a conversation)', { field: 'prompt' });
  }
  const turns: readonly ConversationTurn[] = options.turns ?? [{ role: 'user', text: options.prompt! }];
  if (turns.length === 0 || turns[turns.length - 1]!.role !== 'user') {
    throw new TemplateError('the conversation must end with a user turn for the model to answer', { field: `turns[${Math.max(0, turns.length - 1)}]` });
  }
  const attributes: AttributeValues | undefined = options.attributes === undefined ? undefined : validateAttributes(options.attributes, schema);
  return template.render(
    { ...(options.system !== undefined ? { system: options.system } : {}), turns },
    { schema, placement: 'VALUE_TO_TEXT', generation: attributes === undefined ? {} : { attributes } },
  );
}
