import { DataFormatError, type ScoringInput } from '@steerlm/core';

/** The default longest response (in UTF-16 code units) a featurizer reads; the rest is cut off. */
export const DEFAULT_MAX_RESPONSE_CHARACTERS = 8000;
/** The default longest prompt context a featurizer reads; the oldest part is cut off. */
export const DEFAULT_MAX_PROMPT_CHARACTERS = 4000;

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Returns nothing; throws a DataFormatError naming the input when it cannot be scored: a response that
 * is not a string, empty or only whitespace, or text that is not well-formed Unicode (a lone surrogate,
 * as left by decoding non-UTF-8 bytes without checks).
 */
export function assertScorable(input: ScoringInput, index: number): void {
  const field = `inputs[${index}]`;
  if (typeof input !== 'object' || input === null) throw new DataFormatError('a scoring input must be { context, response }', { field });
  if (typeof input.response !== 'string') {
    throw new DataFormatError(`response must be a string, got ${typeof input.response}`, { field: `${field}.response` });
  }
  if (input.response.trim() === '') {
    throw new DataFormatError('the response is empty', { field: `${field}.response`, hint: 'drop records without a response before scoring' });
  }
  if (!Array.isArray(input.context)) throw new DataFormatError('context must be an array of turns', { field: `${field}.context` });
  const texts: Array<[string, unknown]> = [
    [`${field}.response`, input.response],
    [`${field}.system`, input.system ?? ''],
  ];
  input.context.forEach((turn, turnIndex) => texts.push([`${field}.context[${turnIndex}].text`, turn?.text]));
  for (const [name, text] of texts) {
    if (typeof text !== 'string') throw new DataFormatError(`${name} must be a string, got ${typeof text}`, { field: name });
    if (loneSurrogate.test(text)) {
      throw new DataFormatError('the text is not well-formed Unicode (it has a lone surrogate)', {
        field: name,
        hint: 'decode input files as UTF-8 with fatal errors, or repair the text with String.prototype.toWellFormed()',
      });
    }
  }
}

/** Returns the first `maxCharacters` of `text`, not splitting a surrogate pair. */
export function keepHead(text: string, maxCharacters: number): string {
  if (text.length <= maxCharacters) return text;
  const end = /[\uD800-\uDBFF]/.test(text[maxCharacters - 1] ?? '') ? maxCharacters - 1 : maxCharacters;
  return text.slice(0, end);
}

/** Returns the last `maxCharacters` of `text`, not splitting a surrogate pair. */
export function keepTail(text: string, maxCharacters: number): string {
  if (text.length <= maxCharacters) return text;
  const start = text.length - maxCharacters;
  return text.slice(/[\uDC00-\uDFFF]/.test(text[start] ?? '') ? start + 1 : start);
}

/** Returns the conversation before the response as plain text (`User: …` / `Assistant: …` lines), newest part kept. */
export function promptText(input: ScoringInput, maxCharacters = DEFAULT_MAX_PROMPT_CHARACTERS): string {
  const lines = input.context.map((turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.text}`);
  return keepTail(lines.join('\n'), maxCharacters);
}

/** Returns the text of the last user turn of the context ('' when there is none), newest part kept. */
export function lastUserText(input: ScoringInput, maxCharacters = DEFAULT_MAX_PROMPT_CHARACTERS): string {
  for (let index = input.context.length - 1; index >= 0; index -= 1) {
    const turn = input.context[index]!;
    if (turn.role === 'user') return keepTail(turn.text, maxCharacters);
  }
  return '';
}
