import { formatAttributes, parseAttributes, STEERLM, type AttributeSchema, type AttributeValues } from '../attributes';
import { TemplateError } from '../errors';
import { DEFAULT_SYSTEM_PROMPT, type Conversation, type ConversationTurn, type Role } from './conversation';
import { definePromptTemplate, type ParseOptions, type PromptTemplate, type RenderOptions, type TemplateSegment, type TemplateTokens } from './prompt-template';
import { STEERLM_TOKENS } from './special-tokens';
import { assertNoReservedTokens } from './reserved-tokens';

const { system: SYSTEM, turn: TURN, label: LABEL } = STEERLM_TOKENS;
const STEERLM_STRINGS: TemplateTokens = { specialTokens: [SYSTEM, TURN, LABEL], stopStrings: [TURN] };

const speakers: Record<Role, string> = { user: 'User', assistant: 'Assistant' };

function checkTurn(turn: ConversationTurn, index: number): void {
  if (turn.role !== 'user' && turn.role !== 'assistant') {
    throw new TemplateError(`turn role must be "user" or "assistant", got ${JSON.stringify(turn.role)}`, { field: `turns[${index}].role` });
  }
  if (turn.attributes !== undefined && turn.role !== 'assistant') {
    throw new TemplateError('only assistant turns carry attribute labels', { field: `turns[${index}].attributes` });
  }
}

/** Returns the segments of NeMo-Aligner's SteerLM format; see PromptTemplate.segments. */
function steerlmSegments(conversation: Conversation, options: RenderOptions = {}): TemplateSegment[] {
  const schema: AttributeSchema = options.schema ?? STEERLM;
  const placement = options.placement ?? 'VALUE_TO_TEXT';
  if (!conversation || !Array.isArray(conversation.turns)) throw new TemplateError('a conversation needs a turns array', { field: 'turns' });
  assertNoReservedTokens(conversation, steerlmTemplate.specialTokens, 'steerlm');
  const out: TemplateSegment[] = [
    { text: `${SYSTEM}System\n`, turn: -1, role: 'system', part: 'header' },
    { text: `${conversation.system ?? DEFAULT_SYSTEM_PROMPT}\n`, turn: -1, role: 'system', part: 'body' },
  ];
  let previousRole: TemplateSegment['role'] = 'system';
  const open = (turn: number, role: Role) => {
    // The <extra_id_1> that starts a turn is the end of the one before: the stop the model learns.
    out.push({ text: TURN, turn: turn - 1, role: previousRole, part: 'end' });
    out.push({ text: `${speakers[role]}\n`, turn, role, part: 'header' });
    previousRole = role;
  };
  const label = (turn: number, attributes: AttributeValues) => {
    out.push({ text: LABEL, turn, role: 'assistant', part: 'label-start' });
    out.push({ text: `${formatAttributes(attributes, schema)}\n`, turn, role: 'assistant', part: 'label' });
  };
  conversation.turns.forEach((turn, index) => {
    checkTurn(turn, index);
    open(index, turn.role);
    const body: TemplateSegment = { text: `${turn.text}\n`, turn: index, role: turn.role, part: 'body' };
    if (turn.attributes === undefined) out.push(body);
    else if (placement === 'TEXT_TO_VALUE') {
      out.push(body);
      label(index, turn.attributes);
    } else {
      label(index, turn.attributes);
      out.push(body);
    }
  });
  if (options.generation) {
    open(conversation.turns.length, 'assistant');
    if (options.generation.attributes !== undefined) label(conversation.turns.length, options.generation.attributes);
  }
  return out;
}

function parseTurn(segment: string, index: number, schema: AttributeSchema, options: ParseOptions): ConversationTurn {
  const newline = segment.indexOf('\n');
  const field = `turn ${index + 1}`;
  if (newline === -1) throw new TemplateError(`${field} has no speaker line`, { field });
  const speaker = segment.slice(0, newline);
  const role = speaker === 'User' ? 'user' : speaker === 'Assistant' ? 'assistant' : undefined;
  if (!role) throw new TemplateError(`${field} has unknown speaker ${JSON.stringify(speaker)}; expected User or Assistant`, { field });
  let body = segment.slice(newline + 1);
  const labelAt = body.indexOf(LABEL);
  if (labelAt === -1) {
    if (!body.endsWith('\n')) throw new TemplateError(`${field} does not end with a newline`, { field });
    return { role, text: body.slice(0, -1) };
  }
  if (role !== 'assistant') throw new TemplateError(`${field}: only assistant turns carry a label`, { field });
  const placement = options.placement ?? (labelAt === 0 ? 'VALUE_TO_TEXT' : 'TEXT_TO_VALUE');
  let labelText: string;
  let text: string;
  if (placement === 'VALUE_TO_TEXT') {
    if (labelAt !== 0) throw new TemplateError(`${field}: the label must come right after the speaker line`, { field });
    body = body.slice(LABEL.length);
    const end = body.indexOf('\n');
    if (end === -1 || !body.endsWith('\n')) throw new TemplateError(`${field}: unterminated label or response`, { field });
    labelText = body.slice(0, end);
    text = body.slice(end + 1, -1);
  } else {
    const after = body.slice(labelAt + LABEL.length);
    if (body[labelAt - 1] !== '\n' || !after.endsWith('\n') || after.indexOf('\n') !== after.length - 1) {
      throw new TemplateError(`${field}: the label must be the last line of the turn`, { field });
    }
    labelText = after.slice(0, -1);
    text = body.slice(0, labelAt - 1);
  }
  return { role, text, attributes: parseAttributes(labelText, schema) };
}

/** Returns the conversation a SteerLM text holds; see PromptTemplate.parse. */
function parseSteerlm(text: string, options: ParseOptions = {}): Conversation {
  const schema = options.schema ?? STEERLM;
  const header = `${SYSTEM}System\n`;
  if (typeof text !== 'string' || !text.startsWith(header)) {
    throw new TemplateError(`a SteerLM conversation starts with ${JSON.stringify(header)}`, { field: 'system' });
  }
  const [head, ...segments] = text.slice(header.length).split(TURN);
  if (head === undefined || !head.endsWith('\n')) throw new TemplateError('the system prompt must end with a newline', { field: 'system' });
  const turns = segments.map((segment, index) => parseTurn(segment, index, schema, options));
  return { system: head.slice(0, -1), turns };
}

/** NeMo-Aligner's SteerLM chat format (`<extra_id_0>System`, `<extra_id_1>User`, `<extra_id_2>label`). */
export const steerlmTemplate: PromptTemplate = definePromptTemplate('steerlm', STEERLM_STRINGS, steerlmSegments, parseSteerlm);
