import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUseLiteFeaturizer } from './use-lite';
import { createUseLiteOnnxEncoder, loadOnnxRuntime, type UseLiteOnnxEncoder } from './use-lite-onnx-encoder';
import { balancedParts, createUseLiteOnnxWorkers } from './use-lite-onnx-workers';
import { readUseLiteFiles, type UseLiteFiles } from './use-lite-weights';

function maxAbsoluteDifference(left: ArrayLike<number>, right: ArrayLike<number>): number {
  expect(left.length).toBe(right.length);
  let largest = 0;
  for (let index = 0; index < left.length; index += 1) largest = Math.max(largest, Math.abs(left[index]! - right[index]!));
  return largest;
}

const ids = (length: number, seed: number) => Array.from({ length }, (_, index) => 6 + ((index * 37 + seed * 101) % 7990));

describe('balancedParts', () => {
  it('cuts consecutive texts into parts of about the same token count (clipped at 128, plus one per text), none empty', () => {
    expect(balancedParts([ids(10, 0), ids(10, 1), ids(10, 2), ids(10, 3)], 2)).toEqual([0, 2]);
    // Sorted by length, the long text gets a part of its own: 6 × 2 against 10.
    expect(balancedParts([ids(1, 0), ids(1, 1), ids(1, 2), ids(1, 3), ids(1, 4), ids(1, 5), ids(9, 6)], 2)).toEqual([0, 6]);
    // Stops short of the share when the next text would overshoot it more: 121 | 129 + 21.
    expect(balancedParts([ids(120, 0), ids(500, 1), ids(20, 2)], 2)).toEqual([0, 1]);
    expect(balancedParts([[], [], [], []], 3)).toEqual([0, 1, 3]);
    expect(balancedParts([ids(3, 0)], 4)).toEqual([0]);
    expect(balancedParts([ids(3, 0), ids(3, 0)], 4)).toEqual([0, 1]);
    expect(balancedParts([], 2)).toEqual([0]);
  });
});

describe('USE-lite on onnxruntime sessions in worker threads', () => {
  let files: UseLiteFiles;
  let local: UseLiteOnnxEncoder;
  let workers: UseLiteOnnxEncoder;
  beforeAll(async () => {
    files = await readUseLiteFiles();
    [local, workers] = await Promise.all([
      createUseLiteOnnxEncoder((await loadOnnxRuntime())!, files, { threads: 1 }),
      createUseLiteOnnxWorkers(files, { sessions: 2, threads: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([local?.dispose(), workers?.dispose()]);
  });

  it('gives the main-thread session embeddings, in order, for batches split over two sessions (empty lists and clipped ones too)', async () => {
    const batches = [
      [ids(3, 1)],
      [[], ids(5, 2)],
      [[], [], ids(2, 3), ids(40, 4), ids(128, 5), ids(300, 6)],
      Array.from({ length: 37 }, (_, text) => ids(1 + ((text * 13) % 90), text)),
    ];
    for (const tokens of batches) {
      const [expected, actual] = await Promise.all([local.embedTokens(tokens), workers.embedTokens(tokens)]);
      expect(actual).toHaveLength(tokens.length);
      for (const [index] of tokens.entries())
        expect(maxAbsoluteDifference(actual[index]!, expected[index]!), `text ${index} of ${tokens.length}`).toBeLessThan(1e-6);
      // Distinct texts give distinct embeddings, so an order mix-up shows above.
      if (tokens.length > 1) expect(maxAbsoluteDifference(actual[0]!, actual[tokens.length - 1]!)).toBeGreaterThan(1e-3);
    }
  });

  it('runs several calls at once (the replies of each worker come back in order)', async () => {
    const calls = Array.from({ length: 6 }, (_, call) => Array.from({ length: 3 + call }, (_, text) => ids(4 + text * 7, call * 10 + text)));
    const [expected, actual] = await Promise.all([
      Promise.all(calls.map((tokens) => local.embedTokens(tokens))),
      Promise.all(calls.map((tokens) => workers.embedTokens(tokens))),
    ]);
    calls.forEach((tokens, call) =>
      tokens.forEach((_, text) => expect(maxAbsoluteDifference(actual[call]![text]!, expected[call]![text]!)).toBeLessThan(1e-6)),
    );
  });

  it('fails a run after dispose with a BackendError, not a hang', async () => {
    const disposable = await createUseLiteOnnxWorkers(files, { sessions: 1, threads: 1 });
    await disposable.dispose();
    await expect(disposable.embedTokens([ids(3, 0)])).rejects.toThrow(/disposed|exited/);
  });

  it('the featurizer with sessions: 2 embeds as with one session on the main thread', async () => {
    const texts = ['How do I bake bread at home?', '', 'Ünïcødé — 日本語 ①ﬁ 🍞', 'Line one.\n\nLine two.', 'word '.repeat(400), 'Short.'];
    const [main, threaded] = [
      createUseLiteFeaturizer({ engine: 'onnxruntime', sessions: 0, threads: 1 }),
      createUseLiteFeaturizer({ engine: 'onnxruntime', sessions: 2, threads: 1 }),
    ];
    const [expected, actual] = await Promise.all([main.embed(texts), threaded.embed(texts)]);
    texts.forEach((_, index) => expect(maxAbsoluteDifference(actual[index]!, expected[index]!)).toBeLessThan(1e-6));
    main.dispose();
    threaded.dispose();
    expect(() => createUseLiteFeaturizer({ sessions: -1 })).toThrow(/sessions must be 0 or a positive integer/);
  });
});
