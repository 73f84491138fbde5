import { formatAttributes, parseAttributes, STEERLM } from '../attributes';
import { TemplateError } from '../errors';
import { DEFAULT_SYSTEM_PROMPT, type Conversation, type ConversationTurn } from './conversation';
import type { ParseOptions, PromptTemplate, RenderOptions } from './prompt-template';
import { assertNoReservedTokens } from './reserved-tokens';

const START = '<|im_start|>';
const END = '<|im_end|>';
const LABEL_OPEN = '<|attributes|>';

/**
 * ChatML (`<|im_start|>role\n…<|im_end|>\n`) with SteerLM labels as a first (VALUE_TO_TEXT) or last
 * (TEXT_TO_VALUE) line `<|attributes|>quality:4,…` inside the assistant message.
 */
export const chatmlTemplate: PromptTemplate = Object.freeze({
  name: 'chatml',
  specialTokens: Object.freeze([START, END, LABEL_OPEN]),
  stopStrings: Object.freeze([END]),
  defaultSystem: DEFAULT_SYSTEM_PROMPT,

  render(conversation: Conversation, options: RenderOptions = {}): string {
    const schema = options.schema ?? STEERLM;
    const placement = options.placement ?? 'VALUE_TO_TEXT';
    if (!conversation || !Array.isArray(conversation.turns)) throw new TemplateError('a conversation needs a turns array', { field: 'turns' });
    assertNoReservedTokens(conversation, chatmlTemplate.specialTokens, 'chatml');
    let text = `${START}system\n${conversation.system ?? DEFAULT_SYSTEM_PROMPT}${END}\n`;
    conversation.turns.forEach((turn, index) => {
      if (turn.role !== 'user' && turn.role !== 'assistant') {
        throw new TemplateError(`turn role must be "user" or "assistant", got ${JSON.stringify(turn.role)}`, { field: `turns[${index}].role` });
      }
      let body = turn.text;
      if (turn.attributes !== undefined) {
        if (turn.role !== 'assistant') throw new TemplateError('only assistant turns carry attribute labels', { field: `turns[${index}].attributes` });
        const label = `${LABEL_OPEN}${formatAttributes(turn.attributes, schema)}`;
        body = placement === 'TEXT_TO_VALUE' ? `${body}\n${label}` : `${label}\n${body}`;
      }
      text += `${START}${turn.role}\n${body}${END}\n`;
    });
    if (options.generation) {
      text += `${START}assistant\n`;
      if (options.generation.attributes !== undefined) text += `${LABEL_OPEN}${formatAttributes(options.generation.attributes, schema)}\n`;
    }
    return text;
  },

  parse(text: string, options: ParseOptions = {}): Conversation {
    const schema = options.schema ?? STEERLM;
    const messages = text.split(`${END}\n`);
    if (messages.pop() !== '') throw new TemplateError(`a ChatML conversation ends with ${JSON.stringify(END + '\n')}`);
    let system: string | undefined;
    const turns: ConversationTurn[] = [];
    messages.forEach((message, index) => {
      const field = `message ${index + 1}`;
      if (!message.startsWith(START)) throw new TemplateError(`${field} does not start with ${START}`, { field });
      const newline = message.indexOf('\n');
      if (newline === -1) throw new TemplateError(`${field} has no role line`, { field });
      const role = message.slice(START.length, newline);
      let body = message.slice(newline + 1);
      if (role === 'system' && index === 0) {
        system = body;
        return;
      }
      if (role !== 'user' && role !== 'assistant') throw new TemplateError(`${field} has unknown role ${JSON.stringify(role)}`, { field });
      const labelAt = body.indexOf(LABEL_OPEN);
      if (labelAt === -1) {
        turns.push({ role, text: body });
        return;
      }
      if (role !== 'assistant') throw new TemplateError(`${field}: only assistant turns carry a label`, { field });
      let label: string;
      if (labelAt === 0 && options.placement !== 'TEXT_TO_VALUE') {
        const end = body.indexOf('\n');
        if (end === -1) throw new TemplateError(`${field}: unterminated label line`, { field });
        label = body.slice(LABEL_OPEN.length, end);
        body = body.slice(end + 1);
      } else {
        if (body[labelAt - 1] !== '\n' || body.indexOf('\n', labelAt) !== -1) throw new TemplateError(`${field}: the label must be the last line`, { field });
        label = body.slice(labelAt + LABEL_OPEN.length);
        body = body.slice(0, labelAt - 1);
      }
      turns.push({ role, text: body, attributes: parseAttributes(label, schema) });
    });
    if (system === undefined) throw new TemplateError('a ChatML conversation starts with a system message', { field: 'system' });
    return { system, turns };
  },
});
