import { countSyllables } from './count-syllables';

/** Length, vocabulary and readability numbers of one text (the statistics of the SteerLM and HelpSteer papers). */
export interface TextStatistics {
  /** Unicode code points. */
  readonly characters: number;
  readonly words: number;
  /** Distinct words, case-insensitively. */
  readonly uniqueWords: number;
  readonly sentences: number;
  readonly syllables: number;
  /** 0.39 × words/sentence + 11.8 × syllables/word − 15.59; null for a text without words. */
  readonly fleschKincaidGrade: number | null;
}

const wordPattern = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

/** Returns the words of `text`: runs of letters and digits, keeping inner apostrophes ("don't"). */
export function splitWords(text: string): string[] {
  return text.match(wordPattern) ?? [];
}

/**
 * Returns the number of sentences: pieces ended by `.`, `!` or `?` (followed by a space or the end)
 * or by a line break, counting only pieces that contain a word; at least 1 when the text has words.
 */
export function countSentences(text: string): number {
  const pieces = text.split(/[.!?]+(?=[\s"'’”)\]]|$)|\n+/u);
  const count = pieces.filter((piece) => splitWords(piece).length > 0).length;
  return count === 0 && splitWords(text).length > 0 ? 1 : count;
}

/** Returns the Flesch–Kincaid grade level from counts, or null when there are no words or sentences. */
export function fleschKincaidGrade(counts: { words: number; sentences: number; syllables: number }): number | null {
  if (counts.words === 0 || counts.sentences === 0) return null;
  return 0.39 * (counts.words / counts.sentences) + 11.8 * (counts.syllables / counts.words) - 15.59;
}

/** Returns the length, unique-word count, sentence and syllable counts and FKGL of `text`. */
export function textStatistics(text: string): TextStatistics {
  const words = splitWords(text);
  const unique = new Set(words.map((word) => word.toLowerCase()));
  const sentences = countSentences(text);
  let syllables = 0;
  for (const word of words) syllables += countSyllables(word);
  return {
    characters: [...text].length,
    words: words.length,
    uniqueWords: unique.size,
    sentences,
    syllables,
    fleschKincaidGrade: fleschKincaidGrade({ words: words.length, sentences, syllables }),
  };
}

/** Means of text statistics over a set of texts (FKGL over the texts that have words). */
export interface TextStatisticsSummary {
  readonly texts: number;
  readonly meanCharacters: number;
  readonly meanWords: number;
  readonly meanUniqueWords: number;
  readonly meanFleschKincaidGrade: number | null;
}

/** Returns the mean length, word count, unique-word count and FKGL over `texts`. */
export function summarizeTextStatistics(texts: readonly string[]): TextStatisticsSummary {
  const all = texts.map(textStatistics);
  const average = (pick: (statistics: TextStatistics) => number): number =>
    all.length === 0 ? 0 : all.reduce((sum, statistics) => sum + pick(statistics), 0) / all.length;
  const grades = all.map((statistics) => statistics.fleschKincaidGrade).filter((grade): grade is number => grade !== null);
  return {
    texts: all.length,
    meanCharacters: average((statistics) => statistics.characters),
    meanWords: average((statistics) => statistics.words),
    meanUniqueWords: average((statistics) => statistics.uniqueWords),
    meanFleschKincaidGrade: grades.length === 0 ? null : grades.reduce((sum, grade) => sum + grade, 0) / grades.length,
  };
}
