import { describe, expect, it } from 'vitest';
import { responseChunks } from './response-chunks';

describe('responseChunks', () => {
  it('joins sentences and lines while they fit, and starts a new chunk after a sentence end', () => {
    const text = 'One two. Three four!\nFive six? Seven eight.   Nine.';
    expect(responseChunks(text, 20)).toEqual(['One two. Three four!', 'Five six?', 'Seven eight. Nine.']);
    // 'One two. Three four!' is 20 units: one more than 19.
    expect(responseChunks(text, 19)).toEqual(['One two.', 'Three four!', 'Five six?', 'Seven eight. Nine.']);
    expect(responseChunks(text, 1000)).toEqual(['One two. Three four! Five six? Seven eight. Nine.']);
  });

  it('keeps a short text whole and cuts a sentence longer than a chunk into pieces of that size', () => {
    expect(responseChunks('A short answer.', 450)).toEqual(['A short answer.']);
    const long = 'x'.repeat(25);
    expect(responseChunks(long, 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    expect(responseChunks(`Hi. ${long}`, 10)).toEqual(['Hi.', 'x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });

  it('loses only the whitespace between sentences, and keeps every chunk within its size', () => {
    const text = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} says something${index % 3 === 0 ? '!\n\n' : '. '}`).join('');
    const chunks = responseChunks(text, 120);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(120);
    expect(chunks.join('').replace(/\s+/g, '')).toBe(text.replace(/\s+/g, ''));
  });

  it('never splits a surrogate pair, even with 2-unit chunks', () => {
    const text = 'ab😀😀c😀';
    for (const size of [2, 3, 5]) {
      const chunks = responseChunks(text, size);
      expect(chunks.join('')).toBe(text);
      for (const chunk of chunks) expect(chunk).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
    expect(responseChunks('😀😀', 3)).toEqual(['😀', '😀']);
  });

  it('gives one blank chunk for a text of whitespace', () => {
    expect(responseChunks('  \n ', 10)).toEqual([' ']);
    expect(responseChunks('', 10)).toEqual([' ']);
  });
});
