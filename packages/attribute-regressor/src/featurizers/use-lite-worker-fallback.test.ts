import { afterAll, describe, expect, it, vi } from 'vitest';
import { BackendError } from '@steerlm/core';
import { createUseLiteFeaturizer } from './use-lite';

// Where worker threads cannot start onnxruntime-node, USE-lite runs one session on the main thread instead.
vi.mock('./use-lite-onnx-workers', () => ({
  createUseLiteOnnxWorkers: async () => {
    throw new BackendError('onnxruntime could not load the USE-lite graph in a worker thread', { backend: 'onnxruntime' });
  },
}));

const threaded = createUseLiteFeaturizer({ engine: 'onnxruntime', sessions: 2, threads: 1 });
const main = createUseLiteFeaturizer({ engine: 'onnxruntime', sessions: 0, threads: 1 });
afterAll(() => {
  threaded.dispose();
  main.dispose();
});

describe('USE-lite sessions where worker threads fail', () => {
  it('embed on a main-thread session, with the same embeddings', async () => {
    expect(await threaded.resolveEngine()).toBe('onnxruntime');
    const texts = ['How do I bake bread at home?', 'Short.'];
    const [expected, actual] = await Promise.all([main.embed(texts), threaded.embed(texts)]);
    // The fallback session has both sessions' threads (2 here), which may round the last digit differently.
    for (const index of [0, 1]) actual[index]!.forEach((value, unit) => expect(Math.abs(value - expected[index]![unit]!)).toBeLessThan(1e-6));
  });
});
