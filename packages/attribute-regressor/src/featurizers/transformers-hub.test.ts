import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError, type ProgressEvent } from '@steerlm/core';
import { startMockHub, type MockHub } from '@steerlm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyBert } from './testing/tiny-bert';
import { createTransformersFeaturizer, loadTransformersFeaturizer } from './transformers-feature-extraction';

let directory: string;
let folder: string;
let hub: MockHub;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tiny-bert-hub-'));
  folder = join(directory, 'tiny-bert');
  await writeTinyBert(folder, 4);
  hub = await startMockHub();
  // The repo also holds weights of another dtype and a README, which a fp32 featurizer must not fetch.
  await writeFile(join(folder, 'onnx', 'model_quantized.onnx'), new Uint8Array(64));
  await writeFile(join(folder, 'README.md'), '# tiny');
  await hub.addRepo('org/tiny-bert', folder);
});
afterAll(async () => {
  await hub?.close();
  await rm(directory, { recursive: true, force: true });
});

describe('transformers.js featurizer from a Hub id', () => {
  it('fetches config, tokenizer and the ONNX weights into the cache and embeds as the folder does', async () => {
    const events: ProgressEvent[] = [];
    const hubOptions = {
      endpoint: hub.url,
      cacheDir: join(directory, 'cache'),
      token: false as const,
      onProgress: (event: ProgressEvent) => events.push(event),
    };
    const fromHub = await loadTransformersFeaturizer({ modelPath: 'org/tiny-bert', normalize: false, hub: hubOptions });
    const fromFolder = createTransformersFeaturizer({ modelPath: folder, normalize: false });
    const inputs = [{ context: [{ role: 'user' as const, text: 'hello' }], response: 'bake bread' }];
    const [hubVector] = await fromHub.featurize(inputs);
    const [folderVector] = await fromFolder.featurize(inputs);
    await Promise.all([fromHub.dispose(), fromFolder.dispose()]);
    expect(hubVector!.length).toBe(8);
    expect([...hubVector!]).toEqual([...folderVector!]);
    expect(fromHub.dimension).toBe(8);
    expect(events[0]).toMatchObject({ type: 'job-start', detail: { files: ['config.json', 'tokenizer.json', 'onnx/model.onnx', 'tokenizer_config.json'] } });
    expect(hub.requests.some((request) => request.path.includes('quantized') || request.path.includes('README'))).toBe(false);
  });

  it('names the missing ONNX weights of another dtype', async () => {
    const error = await loadTransformersFeaturizer({
      modelPath: 'org/tiny-bert',
      dtype: 'fp16',
      hub: { endpoint: hub.url, cacheDir: join(directory, 'cache'), token: false },
    }).catch((caught: unknown) => caught);
    expect(HubError.isInstance(error)).toBe(true);
    expect((error as HubError).message).toContain('org/tiny-bert@main is missing onnx/model_fp16.onnx');
  });
});
