import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TINY_VOCABULARY, writeTinyBert } from './testing/tiny-bert';
import { createTransformersFeaturizer } from './transformers-feature-extraction';

let directory = '';
afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
});

describe('transformers.js featurizer on a tiny local BERT-like ONNX model built offline', () => {
  it('mean-pools the token embeddings of prompt and response with remote loading off', async () => {
    directory = await mkdtemp(join(tmpdir(), 'tiny-bert-'));
    const folder = join(directory, 'tiny-bert');
    const hidden = 4;
    const embeddings = await writeTinyBert(folder, hidden);
    const featurizer = createTransformersFeaturizer({ modelPath: folder, normalize: false });
    const [vector] = await featurizer.featurize([{ context: [{ role: 'user', text: 'hello' }], response: 'bake bread' }]);
    await featurizer.dispose();
    const mean = (tokens: string[]) =>
      Array.from(
        { length: hidden },
        (_, unit) => tokens.reduce((sum, token) => sum + embeddings[TINY_VOCABULARY.indexOf(token) * hidden + unit]!, 0) / tokens.length,
      );
    // The prompt is rendered "User: hello": "user" and ":" are unknown words.
    const prompt = mean(['[CLS]', '[UNK]', '[UNK]', 'hello', '[SEP]']);
    const response = mean(['[CLS]', 'bake', 'bread', '[SEP]']);
    [...prompt, ...response].forEach((value, index) => expect(vector![index]).toBeCloseTo(value, 5));
  });
});
