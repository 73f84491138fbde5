import { HELPSTEER } from '../attributes';
import { STEERLM_TOKENS, type Conversation, type ConversationTurn } from '../prompt-template';
import type { JsonlSource } from './byte-source';
import { readJsonl, type JsonlReader, type ReadJsonlOptions } from './jsonl-reader';
import { expectObject, expectString, recordError, type RecordLocation } from './record-location';
import { describeType } from './byte-source';

/** A HelpSteer / HelpSteer2 row: a prompt, one response and its five human ratings on 0..4. */
export interface HelpSteerRow {
  readonly prompt: string;
  readonly response: string;
  readonly helpfulness: number;
  readonly correctness: number;
  readonly coherence: number;
  readonly complexity: number;
  readonly verbosity: number;
}

/** The separator of the earlier turns inside a HelpSteer2 multi-turn prompt. */
export const HELPSTEER_TURN_SEPARATOR = STEERLM_TOKENS.turn;

/** Returns the checked row: strings for prompt and response, an integer 0..4 for each HELPSTEER attribute. */
export function validateHelpSteerRow(value: unknown, location: RecordLocation = {}): HelpSteerRow {
  const row = expectObject(value, location, undefined, 'a HelpSteer row');
  const prompt = expectString(row, 'prompt', location);
  const response = expectString(row, 'response', location);
  const ratings: Record<string, number> = {};
  for (const { name, min, max } of HELPSTEER.attributes) {
    const rating = row[name];
    if (typeof rating !== 'number' || !Number.isInteger(rating) || rating < min || rating > max) {
      throw recordError(
        location,
        name,
        `expected an integer from ${min} to ${max}, got ${typeof rating === 'number' ? rating : rating === undefined ? 'nothing (the field is missing)' : describeType(rating)}`,
      );
    }
    ratings[name] = rating;
  }
  return { prompt, response, ...(ratings as Pick<HelpSteerRow, 'helpfulness' | 'correctness' | 'coherence' | 'complexity' | 'verbosity'>) };
}

/**
 * Returns the turns of a HelpSteer2 prompt. A multi-turn prompt reads
 * `u1\n<extra_id_1>Assistant\na1\n<extra_id_1>User\nu2`: it is split at every `<extra_id_1>`; the first
 * part is the first user turn; every later part starts with its speaker line `User\n` or `Assistant\n`,
 * which is removed; every part but the last loses one trailing `\n` (the separator's). Speakers must
 * alternate and the prompt must end on a user turn. A prompt without the separator is one user turn.
 */
export function splitHelpSteerPrompt(prompt: string, location: RecordLocation = {}): ConversationTurn[] {
  const parts = prompt.split(HELPSTEER_TURN_SEPARATOR);
  const turns = parts.map((part, index): ConversationTurn => {
    let text = part;
    let role: ConversationTurn['role'] = 'user';
    if (index > 0) {
      const newline = text.indexOf('\n');
      const speaker = newline === -1 ? text : text.slice(0, newline);
      if (speaker !== 'User' && speaker !== 'Assistant') {
        throw recordError(
          location,
          'prompt',
          `turn ${index + 1} of the prompt starts with ${JSON.stringify(speaker.slice(0, 40))}, not a "User" or "Assistant" speaker line`,
          `multi-turn prompts read "…\\n${HELPSTEER_TURN_SEPARATOR}Assistant\\n…"`,
        );
      }
      role = speaker === 'User' ? 'user' : 'assistant';
      const expected = index % 2 === 1 ? 'assistant' : 'user';
      if (role !== expected)
        throw recordError(location, 'prompt', `turn ${index + 1} of the prompt is spoken by ${speaker}, but turns must alternate User, Assistant, User, …`);
      text = newline === -1 ? '' : text.slice(newline + 1);
    }
    if (index < parts.length - 1 && text.endsWith('\n')) text = text.slice(0, -1);
    return { role, text };
  });
  if (turns[turns.length - 1]!.role !== 'user') {
    throw recordError(location, 'prompt', 'a prompt must end with a user turn: the response answers it');
  }
  return turns;
}

/** Options of helpSteerRowToConversation and readHelpSteerConversations. */
export interface HelpSteerConversationOptions {
  system?: string;
  /**
   * The earlier assistant turns of a multi-turn prompt: context only, never trained (default
   * `'context'`, as NeMo-Aligner, which keeps the whole prompt as one masked user turn; the rendered
   * text is the same), or trained like the rated response (`'trained'`).
   */
  promptTurns?: 'context' | 'trained';
}

/** Returns the conversation of a row: the prompt's turns, then the response labeled with the row's ratings. */
export function helpSteerRowToConversation(row: HelpSteerRow, options: HelpSteerConversationOptions & { location?: RecordLocation } = {}): Conversation {
  const split = splitHelpSteerPrompt(row.prompt, options.location);
  const turns = (options.promptTurns ?? 'context') === 'context' ? split.map((turn) => (turn.role === 'assistant' ? { ...turn, train: false } : turn)) : split;
  const attributes = Object.freeze({
    helpfulness: row.helpfulness,
    correctness: row.correctness,
    coherence: row.coherence,
    complexity: row.complexity,
    verbosity: row.verbosity,
  });
  return {
    ...(options.system !== undefined ? { system: options.system } : {}),
    turns: [...turns, { role: 'assistant', text: row.response, attributes }],
  };
}

/** Returns a streaming reader of checked HelpSteer / HelpSteer2 rows. */
export function readHelpSteerRows(source: JsonlSource, options: Omit<ReadJsonlOptions, 'validate'> = {}): JsonlReader<HelpSteerRow> {
  return readJsonl<HelpSteerRow>(source, { ...options, validate: validateHelpSteerRow });
}

/** Returns a streaming reader of HelpSteer / HelpSteer2 rows as labeled conversations (bad prompts are located errors). */
export function readHelpSteerConversations(
  source: JsonlSource,
  options: Omit<ReadJsonlOptions, 'validate'> & HelpSteerConversationOptions = {},
): JsonlReader<Conversation> {
  const { system, promptTurns, ...rest } = options;
  return readJsonl<Conversation>(source, {
    ...rest,
    validate: (value, location) =>
      helpSteerRowToConversation(validateHelpSteerRow(value, location), {
        location,
        ...(system !== undefined ? { system } : {}),
        ...(promptTurns !== undefined ? { promptTurns } : {}),
      }),
  });
}
