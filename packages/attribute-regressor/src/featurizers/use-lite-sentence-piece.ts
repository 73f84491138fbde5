/**
 * USE-lite's SentencePiece tokenizer, rewritten for speed with exactly the ids of the one inside
 * @energetic-ai/embeddings (the tfjs-models Universal Sentence Encoder tokenizer): the same NFKC
 * normalization and "▁" separators, the same Viterbi over unigram scores, the same tie-breaks and quirks.
 *
 * The package's tokenizer copies the rest of the text at every position (`symbols.slice(i)`) and allocates
 * objects per candidate piece: O(n²) in the text's length. This one walks a trie of code points from each
 * position in place: O(n · longest piece), no allocation per position.
 *
 * What is kept exactly, in the package's order (each one is tested against it):
 * - symbols are code points; a piece's length is its code points, but the backtrack steps back by
 *   `vocabulary[id][0].length` (UTF-16 units; the same for every piece of this vocabulary);
 * - the first 6 ids are reserved (never matched); a piece listed twice keeps its last id and score;
 * - a position where no piece starts gets the unknown piece (id 0, score 0, one symbol), only then;
 * - a candidate ending at e replaces the best one when best[e] is 0 (unset, or a sum that is exactly 0) or its
 *   score (piece score + best[start], in that order) is >= the best: candidates are tried by start
 *   position ascending, so among equal scores the last start (the shortest piece) wins;
 * - a position no path reaches keeps id 0 and score 0; consecutive unknown ids are merged into one.
 */

const SEPARATOR = 0x2581;
const SPACE = 0x20;
/** The ids before this one are reserved symbols (unknown, <s>, </s>, extra tokens), as in the package. */
const RESERVED_SYMBOLS = 6;
const UNKNOWN = 0;

/** A tokenizer from text to USE-lite token ids. */
export interface UseLiteSentencePiece {
  encode(text: string): number[];
}

/** Appends the code points of `text` to `out` (a lone surrogate is one code point, as `for...of` gives it). */
function codePoints(text: string, out: number[]): number[] {
  for (let index = 0; index < text.length; index += 1) {
    const point = text.codePointAt(index)!;
    out.push(point);
    if (point > 0xffff) index += 1;
  }
  return out;
}

/** Returns a tokenizer over `vocabulary` ([piece, score] by id) that gives the ids of @energetic-ai/embeddings' tokenizer. */
export function createUseLiteSentencePiece(vocabulary: readonly (readonly [string, number])[]): UseLiteSentencePiece {
  // The trie: node 0 is the root; children by code point; the id and score of the piece ending at a node (-1: none).
  const children: Map<number, number>[] = [new Map()];
  const pieceIds: number[] = [-1];
  const pieceScores: number[] = [0];
  for (let id = RESERVED_SYMBOLS; id < vocabulary.length; id += 1) {
    const [piece, score] = vocabulary[id]!;
    const points = codePoints(piece, []);
    if (points.length === 0) continue;
    let node = 0;
    for (const point of points) {
      let child = children[node]!.get(point);
      if (child === undefined) {
        child = children.length;
        children[node]!.set(point, child);
        children.push(new Map());
        pieceIds.push(-1);
        pieceScores.push(0);
      }
      node = child;
    }
    pieceIds[node] = id;
    pieceScores[node] = score;
  }
  const ids = Int32Array.from(pieceIds);
  const scores = Float64Array.from(pieceScores);
  const nodes = children.map((map) => (map.size === 0 ? undefined : map));
  // The package steps back by the piece string's length (UTF-16 units) after each id.
  const backtrack = Int32Array.from(vocabulary, ([piece]) => piece.length);
  const symbols: number[] = [];
  let best = new Float64Array(0);
  let words = new Int32Array(0);

  return {
    encode(text: string): number[] {
      const normalized = text.normalize('NFKC');
      if (normalized.length === 0) return [];
      symbols.length = 0;
      symbols.push(SEPARATOR);
      codePoints(normalized, symbols);
      for (let index = 1; index < symbols.length; index += 1) if (symbols[index] === SPACE) symbols[index] = SEPARATOR;
      const length = symbols.length;
      if (best.length < length + 1) {
        best = new Float64Array(2 * (length + 1));
        words = new Int32Array(2 * (length + 1));
      }
      best.fill(0, 0, length + 1);
      words.fill(0, 0, length + 1);
      // Forward Viterbi: for each end position, candidates arrive by start position ascending, as in the
      // package's loop over ends then starts; best[start] is final before any piece from start is tried.
      for (let start = 0; start < length; start += 1) {
        const from = best[start]!;
        let node = 0;
        let matched = false;
        for (let position = start; position < length; position += 1) {
          const next = nodes[node]?.get(symbols[position]!);
          if (next === undefined) break;
          node = next;
          const id = ids[node]!;
          if (id < 0) continue;
          matched = true;
          const end = position + 1;
          const score = scores[node]! + from;
          if (best[end] === 0 || score >= best[end]!) {
            best[end] = score;
            words[end] = id;
          }
        }
        if (!matched) {
          const end = start + 1;
          const score = 0 + from;
          if (best[end] === 0 || score >= best[end]!) {
            best[end] = score;
            words[end] = UNKNOWN;
          }
        }
      }
      const reversed: number[] = [];
      for (let position = length; position > 0; position -= backtrack[words[position]!]!) reversed.push(words[position]!);
      const merged: number[] = [];
      for (let index = reversed.length - 1; index >= 0; index -= 1) {
        const id = reversed[index]!;
        if (!(id === UNKNOWN && merged.length > 0 && merged[merged.length - 1] === UNKNOWN)) merged.push(id);
      }
      return merged;
    },
  };
}
