import { describe, expect, it } from 'vitest';
import { BYTE_TO_UNICODE, fromByteLevel, toByteLevel } from './byte-to-unicode';
import { byteLevelBpeTokenizerJson } from './byte-level-bpe-files';
import { PairHeap } from './pair-heap';
import { preTokenize } from './pre-tokenize';
import { DEFAULT_MAX_TOKEN_LENGTH, DEFAULT_SPECIAL_TOKENS, trainByteLevelBpe } from './train-byte-level-bpe';

describe('byte-level alphabet', () => {
  it('maps 256 bytes to 256 distinct printable characters, GPT-2 style', () => {
    expect(new Set(BYTE_TO_UNICODE).size).toBe(256);
    expect(BYTE_TO_UNICODE[0x20]).toBe('Ġ');
    expect(BYTE_TO_UNICODE[0x0a]).toBe('Ċ');
    expect(BYTE_TO_UNICODE[0x41]).toBe('A');
    expect(toByteLevel('é')).toBe('Ã©');
    for (const text of ['héllo wörld', '日本語 😀👩‍👩‍👧', 'e\u0301 a\u0308']) expect(fromByteLevel(toByteLevel(text))).toBe(text);
  });

  it('pre-tokenizes like GPT-2', () => {
    expect(preTokenize("Hello world, it's 2024!  ok")).toEqual(['Hello', ' world', ',', ' it', "'s", ' 2024', '!', ' ', ' ok']);
  });

  it('pops pairs by count, then smaller ids', () => {
    const heap = new PairHeap();
    for (const item of [
      { count: 3, left: 5, right: 1 },
      { count: 7, left: 9, right: 9 },
      { count: 3, left: 2, right: 8 },
      { count: 3, left: 2, right: 4 },
    ])
      heap.push(item);
    expect([heap.pop(), heap.pop(), heap.pop(), heap.pop(), heap.pop()].map((item) => item && [item.count, item.left, item.right])).toEqual([
      [7, 9, 9],
      [3, 2, 4],
      [3, 2, 8],
      [3, 5, 1],
      undefined,
    ]);
  });
});

describe('trainByteLevelBpe', () => {
  it('learns the most frequent pairs first, ids after the specials and the 256 bytes', async () => {
    const trained = await trainByteLevelBpe(['abab abab abab cd', 'ab'], { vocabSize: 4 + 256 + 3, minFrequency: 1 });
    expect(trained.specialTokens).toEqual(DEFAULT_SPECIAL_TOKENS.map((content, id) => ({ content, id })));
    expect(trained.merges.slice(0, 2)).toEqual([
      ['a', 'b'],
      ['ab', 'ab'],
    ]);
    expect(trained.vocab.get('ab')).toBe(260);
    expect(trained.vocab.get('abab')).toBe(261);
    expect(trained.vocab.size).toBe(263);
  });

  it('is deterministic whatever the order of the texts, and never merges across special tokens', async () => {
    const texts = Array.from({ length: 200 }, (_, index) => `line ${index % 17} says<extra_id_1>hello there, the quick brown fox ${index % 5}\n`);
    const first = await trainByteLevelBpe(texts, { vocabSize: 400 });
    const second = await trainByteLevelBpe([...texts].reverse(), { vocabSize: 400 });
    expect(second.merges).toEqual(first.merges);
    expect([...second.vocab]).toEqual([...first.vocab]);
    expect([...first.vocab].some(([token, id]) => id >= DEFAULT_SPECIAL_TOKENS.length + 256 && (token.includes('<') || token.includes('_id')))).toBe(false);
    expect(first.vocab.size).toBeLessThanOrEqual(400);
  });

  it('stops at minFrequency and validates options', async () => {
    const trained = await trainByteLevelBpe(['xy xy zq'], { vocabSize: 1000, specialTokens: [] });
    expect(trained.merges).toEqual([['x', 'y']]);
    await expect(trainByteLevelBpe(['a'], { vocabSize: 10 })).rejects.toThrow(/vocabSize must be an integer from 260/);
    await expect(trainByteLevelBpe(['a'], { vocabSize: 300, specialTokens: ['<a>', '<a>'] })).rejects.toThrow(/distinct/);
    await expect(trainByteLevelBpe(['a'], { vocabSize: 300, specialTokens: ['A'] })).rejects.toThrow(/one of the 256 byte symbols/);
  });

  it('bounds the work of one huge run without whitespace: tokens of at most maxTokenLength bytes', async () => {
    // 2 MB of pseudo-random letters in one pre-token (took over 60 s and 1.5 GB before the cap).
    let state = 7;
    const letters = Array.from({ length: 2_000_000 }, () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return String.fromCharCode(97 + (state % 26));
    }).join('');
    const started = performance.now();
    const trained = await trainByteLevelBpe(
      ['hello world', letters, 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.repeat(50)],
      { vocabSize: 1000 },
    );
    const seconds = (performance.now() - started) / 1000;
    const longestMerge = (merges: [string, string][]) => Math.max(...merges.map(([left, right]) => left.length + right.length));
    const longest = longestMerge(trained.merges);
    expect(longest).toBeLessThanOrEqual(DEFAULT_MAX_TOKEN_LENGTH);
    expect(longest).toBeGreaterThanOrEqual(32); // the run of "a" still merges up to the cap
    expect(trained.vocab.size).toBe(1000);
    expect(seconds).toBeLessThan(15);
    const short = await trainByteLevelBpe(['a'.repeat(40)], { vocabSize: 300, maxTokenLength: 4, minFrequency: 1 });
    expect(longestMerge(short.merges)).toBe(4);
    await expect(trainByteLevelBpe(['x'], { vocabSize: 300, maxTokenLength: 1 })).rejects.toThrow(/maxTokenLength must be an integer of at least 2/);
  }, 30_000);

  it('stops on its signal mid-training: the event loop gets a turn, so a SIGTERM handler can run', async () => {
    let state = 11;
    const words = Array.from({ length: 150_000 }, () => {
      let word = '';
      for (let index = 0; index < 6; index++) {
        state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
        word += String.fromCharCode(97 + (state % 26));
      }
      return word;
    });
    const texts = Array.from({ length: 300 }, (_, index) => words.slice(index * 500, index * 500 + 500).join(' '));
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(new Error('interrupted by SIGTERM')), 100);
    await expect(trainByteLevelBpe(texts, { vocabSize: 20_000, minFrequency: 1, signal: controller.signal })).rejects.toThrow('interrupted by SIGTERM');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('writes a standard tokenizer.json', async () => {
    const trained = await trainByteLevelBpe(['hello hello world'], { vocabSize: 270 });
    const json = byteLevelBpeTokenizerJson(trained);
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', add_prefix_space: false });
    expect(json.decoder).toMatchObject({ type: 'ByteLevel' });
    expect(json.added_tokens.map((token) => [token.id, token.content, token.special])).toEqual(DEFAULT_SPECIAL_TOKENS.map((token, id) => [id, token, true]));
    const vocab = json.model.vocab as Record<string, number>;
    expect(Object.values(vocab).sort((left, right) => left - right)).toEqual(Array.from({ length: trained.vocab.size }, (_, id) => id));
    expect(json.model.merges![0]).toBe('e l');
  });
});
