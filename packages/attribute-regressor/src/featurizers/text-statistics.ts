import type { ScoringInput } from '@steerlm/core';
import type { DescribedFeaturizer, LengthFeaturizer } from './featurizer-description';
import { assertScorable, DEFAULT_MAX_RESPONSE_CHARACTERS, keepHead, lastUserText } from './scoring-text';

/** The names of the text-statistics features, in vector order. */
export const TEXT_STATISTICS_FEATURES = Object.freeze([
  'log_response_characters',
  'log_response_words',
  'log_response_lines',
  'log_response_sentences',
  'log_prompt_characters',
  'log_prompt_words',
  'log_length_ratio',
  'list_line_fraction',
  'log_code_fences',
  'log_headings',
  'log_urls',
  'question_mark_rate',
  'exclamation_rate',
  'uppercase_ratio',
  'digit_ratio',
  'non_ascii_ratio',
  'mean_word_length',
  'mean_sentence_words',
  'distinct_word_ratio',
  'prompt_word_overlap',
  'apology_or_refusal',
  'profanity_rate',
  'laughter_rate',
  'emoji_rate',
  'second_person_rate',
  'first_person_rate',
] as const);

const wordPattern = /[\p{L}\p{N}']+/gu;
const refusalPattern = /\b(as an ai|language model|i(?: a|')m sorry|i apologi[sz]e|i cannot|i can(?:'|no)t|i am not able|i'm not able|unable to)\b/gi;
const profanityPattern =
  /\b(fuck\w*|shit\w*|bitch\w*|bastard\w*|asshole\w*|dick\w*|crap\w*|damn\w*|idiot\w*|stupid\w*|dumb\w*|moron\w*|retard\w*|suck\w*|hell|kill\w*|hate\w*|die|dead|loser\w*|ugly|shut up|piss\w*)\b/gi;
const laughterPattern = /\b(ha(?:ha)+|lol|lmao|rofl|hehe\w*|joke\w*|funny|pun)\b/gi;
const emojiPattern = /\p{Extended_Pictographic}/gu;
const secondPersonPattern = /\b(you|your|yours|yourself)\b/gi;
const firstPersonPattern = /\b(i|me|my|mine|myself)\b/gi;

function count(text: string, pattern: RegExp): number {
  pattern.lastIndex = 0;
  let total = 0;
  while (pattern.exec(text) !== null) total += 1;
  return total;
}

function words(text: string): string[] {
  return (text.toLowerCase().match(wordPattern) ?? []) as string[];
}

/** Returns the text-statistics vector (see TEXT_STATISTICS_FEATURES) of one response in its context. */
export function textStatistics(response: string, prompt: string): Float32Array {
  const responseWords = words(response);
  const promptWords = words(prompt);
  const characters = Math.max(1, response.length);
  const lines = response.split('\n').filter((line) => line.trim() !== '');
  const sentences = Math.max(1, count(response, /[.!?]+(\s|$)/g));
  const wordCount = Math.max(1, responseWords.length);
  const listLines = lines.filter((line) => /^\s*([-*•]|\d+[.)])\s/.test(line)).length;
  const promptSet = new Set(promptWords);
  const responseSet = new Set(responseWords);
  let overlap = 0;
  for (const word of promptSet) if (responseSet.has(word)) overlap += 1;
  const letters = count(response, /\p{L}/gu);
  const values = [
    Math.log1p(response.length),
    Math.log1p(responseWords.length),
    Math.log1p(lines.length),
    Math.log1p(sentences),
    Math.log1p(prompt.length),
    Math.log1p(promptWords.length),
    Math.log1p(response.length) - Math.log1p(prompt.length),
    lines.length === 0 ? 0 : listLines / lines.length,
    Math.log1p(count(response, /```/g)),
    Math.log1p(count(response, /^#{1,6}\s/gm)),
    Math.log1p(count(response, /https?:\/\//g)),
    count(response, /\?/g) / sentences,
    count(response, /!/g) / sentences,
    letters === 0 ? 0 : count(response, /\p{Lu}/gu) / letters,
    count(response, /\p{N}/gu) / characters,
    count(response, /[^\p{ASCII}]/gu) / characters,
    responseWords.reduce((sum, word) => sum + word.length, 0) / wordCount,
    Math.log1p(responseWords.length / sentences),
    responseSet.size / wordCount,
    promptSet.size === 0 ? 0 : overlap / promptSet.size,
    Math.log1p(count(response, refusalPattern)),
    (count(response, profanityPattern) * 100) / wordCount,
    (count(response, laughterPattern) * 100) / wordCount,
    (count(response, emojiPattern) * 100) / wordCount,
    (count(response, secondPersonPattern) * 100) / wordCount,
    (count(response, firstPersonPattern) * 100) / wordCount,
  ];
  return Float32Array.from(values);
}

export interface TextStatisticsOptions {
  /** The longest response read (default 8000 characters); longer ones are cut (documented truncation). */
  maxResponseCharacters?: number;
}

/** Returns a dependency-free featurizer of length, layout and lexical statistics of the response and prompt. */
export function createTextStatisticsFeaturizer(options: TextStatisticsOptions = {}): DescribedFeaturizer & LengthFeaturizer {
  const maxResponseCharacters = options.maxResponseCharacters ?? DEFAULT_MAX_RESPONSE_CHARACTERS;
  return {
    specificationVersion: 'v1',
    id: `text-statistics:v1:max=${maxResponseCharacters}`,
    dimension: TEXT_STATISTICS_FEATURES.length,
    lengthFeature: TEXT_STATISTICS_FEATURES.indexOf('log_response_characters'),
    description: { type: 'text-statistics', options: { maxResponseCharacters } },
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      inputs.forEach(assertScorable);
      return inputs.map((input) => textStatistics(keepHead(input.response, maxResponseCharacters), lastUserText(input)));
    },
  };
}
