import { describe, expect, it } from 'vitest';
import { countSyllables } from './count-syllables';
import { countSentences, fleschKincaidGrade, splitWords, summarizeTextStatistics, textStatistics } from './text-statistics';

describe('countSyllables', () => {
  it.each([
    ['cat', 1],
    ['the', 1],
    ['make', 1],
    ['makes', 1],
    ['jumped', 1],
    ['wanted', 2],
    ['table', 2],
    ['tables', 2],
    ['boxes', 2],
    ['pages', 2],
    ['over', 2],
    ['lazy', 2],
    ['beautiful', 3],
    ['readability', 5],
    ['media', 3],
    ['radio', 3],
    ['nation', 2],
    ['video', 3],
    ['lovely', 2],
    ['agree', 2],
    ['queen', 1],
    ['yellow', 2],
    ['syllable', 3],
    ['computer', 3],
    ['university', 5],
    ['people', 2],
    ["don't", 1],
    ['a', 1],
    ['2023', 4],
    ['—', 0],
  ])('%s has %i syllables', (word, expected) => {
    expect(countSyllables(word)).toBe(expected);
  });
});

describe('text statistics', () => {
  it('gives FKGL ≈ -1.45 for "The cat sat on the mat."', () => {
    const statistics = textStatistics('The cat sat on the mat.');
    expect(statistics).toMatchObject({ words: 6, sentences: 1, syllables: 6, uniqueWords: 5, characters: 23 });
    expect(statistics.fleschKincaidGrade).toBeCloseTo(0.39 * 6 + 11.8 - 15.59, 10);
    expect(statistics.fleschKincaidGrade).toBeCloseTo(-1.45, 2);
  });
  it('gives the hand-computed FKGL of the pangram (9 words, 11 syllables)', () => {
    const statistics = textStatistics('The quick brown fox jumps over the lazy dog.');
    expect(statistics).toMatchObject({ words: 9, sentences: 1, syllables: 11 });
    expect(statistics.fleschKincaidGrade).toBeCloseTo(0.39 * 9 + 11.8 * (11 / 9) - 15.59, 10);
  });
  it('scores a long-word academic sentence far above a short-word one', () => {
    const simple = textStatistics('I like my dog. He is big. We run.');
    const academic = textStatistics('Institutional accountability necessitates comprehensive organizational transparency.');
    expect(simple.sentences).toBe(3);
    expect(academic.fleschKincaidGrade!).toBeGreaterThan(simple.fleschKincaidGrade! + 15);
  });
  it('counts sentences across punctuation, line breaks and decimals', () => {
    expect(countSentences('Hello there! How are you? Fine.')).toBe(3);
    expect(countSentences('- first item\n- second item')).toBe(2);
    expect(countSentences('Pi is 3.14 roughly')).toBe(1);
    expect(countSentences('...')).toBe(0);
    expect(splitWords("It's a well-known fact")).toEqual(["It's", 'a', 'well', 'known', 'fact']);
  });
  it('counts characters as code points and unique words case-insensitively; empty text has no grade', () => {
    expect(textStatistics('Ünïcödé 😀 The the THE').characters).toBe(21);
    expect(textStatistics('The the THE').uniqueWords).toBe(1);
    expect(textStatistics('').fleschKincaidGrade).toBeNull();
    expect(fleschKincaidGrade({ words: 0, sentences: 0, syllables: 0 })).toBeNull();
  });
  it('summarizes means over texts', () => {
    const summary = summarizeTextStatistics(['The cat sat on the mat.', 'Dogs bark.']);
    expect(summary.texts).toBe(2);
    expect(summary.meanWords).toBe(4);
    expect(summary.meanCharacters).toBe((23 + 10) / 2);
  });
});
