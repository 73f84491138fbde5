import { describe, expect, it } from 'vitest';
import { chunkBody, textChunkJson } from './openai-shapes';

describe('textChunkJson', () => {
  const texts = ['', 'hello', ' a "quoted" \\ piece\n', '\u0000text\u0000', 'é😀\u2028', '{"content":"x"}'];

  it.each(['chat', 'completion'] as const)('renders exactly the JSON of chunkBody for %s chunks, whatever the text', (kind) => {
    // A model id that holds the template's own marker must not move where the text goes.
    for (const model of ['tiny', '\u0000text\u0000']) {
      const header = { id: 'chatcmpl-1', created: 1_765_000_000, model };
      const render = textChunkJson(kind, header);
      for (const text of texts) expect(render(text)).toBe(JSON.stringify(chunkBody(kind, header, { text })));
    }
  });
});
