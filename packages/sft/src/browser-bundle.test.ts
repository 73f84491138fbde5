import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// `@steerlm/sft/browser` must bundle for a browser: nothing reachable from src/browser.ts may import a
// Node built-in or tfjs (the playground bundles it; cli's in-page-playground.test.ts runs it in Chromium).
const entry = fileURLToPath(new URL('./browser.ts', import.meta.url));

async function bundledInputs(): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    logLevel: 'silent',
    // Their browser builds are checked by the playground's bundle; here only our own modules count.
    external: ['@huggingface/transformers', '@steerlm/core'],
  });
  return Object.keys(result.metafile.inputs);
}

describe('the browser entry', () => {
  it('bundles for a browser without Node built-ins or tfjs', async () => {
    const inputs = await bundledInputs();
    expect(inputs).toContain('src/models/generate-tokens.ts');
    expect(inputs).toContain('src/models/onnxruntime-decode-session.ts');
    expect(inputs.filter((input) => /tfjs|node:|decoder-model|decoder-onnx-graph|families\//.test(input))).toEqual([]);
  });
});
