import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUseLiteSentencePiece, type UseLiteSentencePiece } from './use-lite-sentence-piece';
import { useLiteModelFolder } from './use-lite-weights';

type Vocabulary = [string, number][];

/** The tokenizer inside @energetic-ai/embeddings, the reference. */
async function packageTokenizer(vocabulary: Vocabulary): Promise<UseLiteSentencePiece> {
  const { EmbeddingsModel } = (await import('@energetic-ai/embeddings')) as unknown as {
    EmbeddingsModel: new (data: { vocabulary: Vocabulary; model: unknown }) => { tokenizer: UseLiteSentencePiece };
  };
  return new EmbeddingsModel({ vocabulary, model: undefined }).tokenizer;
}

/** A seeded generator (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const WHITESPACE = [' ', '  ', '   ', '\t', '\n', '\n\n', '\r\n', '\u00a0', '\u3000', '\u2003', ' \t '];
const PUNCTUATION = [...'.,;:!?\'"()[]{}<>-_/\\|@#$%^&*+=~`…—–«»“”‘’¿¡'];
/** Characters NFKC changes, or the vocabulary may lack: ligatures, fullwidth, circled digits, combining marks, CJK, emoji, astral letters. */
const UNICODE = [
  ...'ﬁﬂ①②Ⅻ㎏ＡＢｃ１２³½éèêüñçøåßœæЖжπΩ中文日本語한국어عربيעבריתहिन्दी',
  'e\u0301',
  'a\u0308',
  '😀',
  '🙂',
  '👍🏽',
  '🇫🇷',
  '𝐀𝐁',
  '𐍈',
  '\u200b',
  '\ufeff',
  '\u2581',
  '▁▁',
];

/** Returns a varied corpus: vocabulary pieces glued and spaced, prose, unicode, whitespace runs, punctuation, long words, empty strings. */
function corpus(vocabulary: Vocabulary, count: number, seed: number): string[] {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const pieces = vocabulary.slice(6).map(([piece]) => piece.replaceAll('\u2581', ' '));
  const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const texts = ['', ' ', '  ', '\n', '\u00a0', '\u2581', 'a', '.', '😀', 'x'.repeat(300), 'the '.repeat(200), ' hello world ', 'Hello,   world!!'];
  while (texts.length < count) {
    const parts: string[] = [];
    const length = Math.floor(next() ** 2 * 120);
    for (let part = 0; part < length; part += 1) {
      const kind = next();
      if (kind < 0.45) parts.push(pick(pieces));
      else if (kind < 0.6) parts.push(pick(WHITESPACE));
      else if (kind < 0.72) parts.push(pick(PUNCTUATION));
      else if (kind < 0.84) parts.push(pick(UNICODE));
      else if (kind < 0.95) parts.push(Array.from({ length: 1 + Math.floor(next() * 12) }, () => pick([...letters])).join(''));
      else parts.push(pick([...letters]).repeat(20 + Math.floor(next() * 200)));
    }
    texts.push(parts.join(''));
  }
  return texts;
}

describe('USE-lite SentencePiece: the ids of @energetic-ai/embeddings', () => {
  let vocabulary: Vocabulary;
  let reference: UseLiteSentencePiece;
  let fast: UseLiteSentencePiece;
  beforeAll(async () => {
    vocabulary = JSON.parse(readFileSync(join(useLiteModelFolder(), 'vocab.json'), 'utf8')) as Vocabulary;
    reference = await packageTokenizer(vocabulary);
    fast = createUseLiteSentencePiece(vocabulary);
  });

  it('gives the package ids on 3,000 varied texts of the real vocabulary (unicode, whitespace runs, punctuation, long words, empty)', () => {
    const texts = corpus(vocabulary, 3000, 1);
    let tokens = 0;
    let unknown = 0;
    for (const text of texts) {
      const expected = reference.encode(text);
      expect(fast.encode(text), JSON.stringify(text.slice(0, 60))).toEqual(expected);
      tokens += expected.length;
      unknown += expected.filter((id) => id === 0).length;
    }
    // The corpus reaches the rare paths: unknown symbols, and long texts.
    expect(unknown).toBeGreaterThan(100);
    expect(tokens).toBeGreaterThan(100_000);
  });

  it('gives the package ids on small vocabularies full of ties, zero and positive scores, duplicates and missing letters', async () => {
    const next = random(7);
    const alphabet = ['a', 'b', 'c', 'd', ' ', '\u2581', 'é', '😀'];
    for (let trial = 0; trial < 150; trial += 1) {
      // Scores from a few values, so that different segmentations often sum to exactly the same score.
      const vocab: Vocabulary = [
        ['\ufffd', 0],
        ['<s>', 0],
        ['</s>', 0],
        ['x1', 0],
        ['x2', 0],
        ['x3', 0],
      ];
      const size = 3 + Math.floor(next() * 25);
      for (let entry = 0; entry < size; entry += 1) {
        const length = 1 + Math.floor(next() * 4);
        let piece = next() < 0.4 ? '\u2581' : '';
        while ([...piece].length < length) piece += alphabet[Math.floor(next() * (alphabet.length - 2))]!.replace(' ', 'a');
        vocab.push([piece, [-1, -2, -3, -0.5, 0, 0.25][Math.floor(next() * 6)]!]);
      }
      if (next() < 0.3) vocab.push(vocab[6 + Math.floor(next() * size)]!.slice() as [string, number]);
      const [left, right] = [await packageTokenizer(vocab), createUseLiteSentencePiece(vocab)];
      for (let sample = 0; sample < 40; sample += 1) {
        const text = Array.from({ length: Math.floor(next() * 30) }, () => alphabet[Math.floor(next() * alphabet.length)]!).join('');
        expect(right.encode(text), `${JSON.stringify(vocab.slice(6))} on ${JSON.stringify(text)}`).toEqual(left.encode(text));
      }
    }
  });

  it('tokenizes a long text in linear time', () => {
    const text = 'Tokenization of a long answer, repeated. '.repeat(500);
    const started = performance.now();
    const ids = fast.encode(text);
    const elapsed = performance.now() - started;
    expect(ids).toEqual(reference.encode(text));
    expect(elapsed).toBeLessThan(500);
  });
});
