import { formatAttributes, parseAttributes, STEERLM } from '../attributes';
import { TemplateError } from '../errors';
import { DEFAULT_SYSTEM_PROMPT, type Conversation, type ConversationTurn } from './conversation';
import { definePromptTemplate, type ParseOptions, type PromptTemplate, type RenderOptions, type TemplateSegment, type TemplateTokens } from './prompt-template';
import { CHATML_TOKENS } from './special-tokens';
import { assertNoReservedTokens } from './reserved-tokens';

const { start: START, end: END, label: LABEL_OPEN } = CHATML_TOKENS;
const CHATML_STRINGS: TemplateTokens = { specialTokens: [START, END, LABEL_OPEN], stopStrings: [END] };

/** Returns the segments of the ChatML format; see PromptTemplate.segments. */
function chatmlSegments(conversation: Conversation, options: RenderOptions = {}): TemplateSegment[] {
  const schema = options.schema ?? STEERLM;
  const placement = options.placement ?? 'VALUE_TO_TEXT';
  if (!conversation || !Array.isArray(conversation.turns)) throw new TemplateError('a conversation needs a turns array', { field: 'turns' });
  assertNoReservedTokens(conversation, chatmlTemplate.specialTokens, 'chatml');
  const out: TemplateSegment[] = [];
  const message = (turn: number, role: TemplateSegment['role'], parts: readonly TemplateSegment[]) => {
    out.push({ text: `${START}${role}\n`, turn, role, part: 'header' }, ...parts);
    out.push({ text: END, turn, role, part: 'end' }, { text: '\n', turn, role, part: 'separator' });
  };
  message(-1, 'system', [{ text: conversation.system ?? DEFAULT_SYSTEM_PROMPT, turn: -1, role: 'system', part: 'body' }]);
  conversation.turns.forEach((turn, index) => {
    if (turn.role !== 'user' && turn.role !== 'assistant') {
      throw new TemplateError(`turn role must be "user" or "assistant", got ${JSON.stringify(turn.role)}`, { field: `turns[${index}].role` });
    }
    const role = turn.role;
    if (turn.attributes === undefined) return message(index, role, [{ text: turn.text, turn: index, role, part: 'body' }]);
    if (role !== 'assistant') throw new TemplateError('only assistant turns carry attribute labels', { field: `turns[${index}].attributes` });
    const value = formatAttributes(turn.attributes, schema);
    const start: TemplateSegment = { text: LABEL_OPEN, turn: index, role, part: 'label-start' };
    message(
      index,
      role,
      placement === 'TEXT_TO_VALUE'
        ? [{ text: `${turn.text}\n`, turn: index, role, part: 'body' }, start, { text: value, turn: index, role, part: 'label' }]
        : [start, { text: `${value}\n`, turn: index, role, part: 'label' }, { text: turn.text, turn: index, role, part: 'body' }],
    );
  });
  if (options.generation) {
    const turn = conversation.turns.length;
    out.push({ text: `${START}assistant\n`, turn, role: 'assistant', part: 'header' });
    if (options.generation.attributes !== undefined) {
      out.push(
        { text: LABEL_OPEN, turn, role: 'assistant', part: 'label-start' },
        { text: `${formatAttributes(options.generation.attributes, schema)}\n`, turn, role: 'assistant', part: 'label' },
      );
    }
  }
  return out;
}

/** Returns the conversation a ChatML text holds; see PromptTemplate.parse. */
function parseChatml(text: string, options: ParseOptions = {}): Conversation {
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
}

/**
 * ChatML (`<|im_start|>role\n…<|im_end|>\n`) with SteerLM labels as a first (VALUE_TO_TEXT) or last
 * (TEXT_TO_VALUE) line `<|attributes|>quality:4,…` inside the assistant message.
 */
export const chatmlTemplate: PromptTemplate = definePromptTemplate('chatml', CHATML_STRINGS, chatmlSegments, parseChatml);
