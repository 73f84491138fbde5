import { keepHead } from './scoring-text';

/**
 * Returns `text` cut into chunks of at most `chunkCharacters` (UTF-16 code units), in order: sentences and
 * lines (split after `.`, `!`, `?` or a line break, at the whitespace that follows) are joined with one space
 * while they fit; a sentence longer than a chunk is cut into pieces of that size, never inside a surrogate
 * pair. Whitespace between sentences is the only text lost. A text with nothing but whitespace gives `[' ']`.
 */
export function responseChunks(text: string, chunkCharacters: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const sentence of text.split(/(?<=[.!?\n])\s+/)) {
    if (current !== '' && current.length + sentence.length + 1 > chunkCharacters) {
      chunks.push(current);
      current = '';
    }
    current = current === '' ? sentence : `${current} ${sentence}`;
    while (current.length > chunkCharacters) {
      // keepHead gives '' only for a 1-unit chunk that would split a surrogate pair: keep the pair whole.
      const head = keepHead(current, chunkCharacters) || current.slice(0, 2);
      chunks.push(head);
      current = current.slice(head.length);
    }
  }
  if (current.trim() !== '') chunks.push(current);
  return chunks.length > 0 ? chunks : [' '];
}
