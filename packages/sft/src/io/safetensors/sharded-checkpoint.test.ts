import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFormatError } from '@steerlm/core';
import { SafetensorsCheckpoint, SHARDED_INDEX_FILE, writeShardedSafetensors } from './sharded-checkpoint';
import type { SafetensorsWriteEntry } from './safetensors-writer';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'steerlm-sharded-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function layer(index: number): SafetensorsWriteEntry {
  const values = Float32Array.from({ length: 100 }, (_, position) => index * 1000 + position);
  return { name: `model.layers.${index}.weight`, dtype: 'F32', shape: [10, 10], data: values };
}

async function openError(path: string): Promise<ModelFormatError> {
  const error = await SafetensorsCheckpoint.open(path).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(ModelFormatError.isInstance(error)).toBe(true);
  return error as ModelFormatError;
}

describe('sharded safetensors checkpoints', () => {
  it('writes shards under a size cap with an index, and reads every tensor back', async () => {
    const folder = await mkdtemp(join(root, 'sharded-'));
    const entries = [0, 1, 2, 3, 4].map(layer);
    const result = await writeShardedSafetensors(folder, entries, { maxShardBytes: 900 });
    expect(result.files).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
    expect(result.totalSize).toBe(2000);
    const index = JSON.parse(await readFile(join(folder, SHARDED_INDEX_FILE), 'utf8')) as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    expect(index.metadata.total_size).toBe(2000);
    expect(index.weight_map['model.layers.4.weight']).toBe('model-00003-of-00003.safetensors');

    const checkpoint = await SafetensorsCheckpoint.open(folder);
    try {
      expect(checkpoint.tensorNames()).toHaveLength(5);
      expect(checkpoint.info('model.layers.2.weight').file).toBe(join(folder, 'model-00002-of-00003.safetensors'));
      const values = await checkpoint.readFloat32('model.layers.3.weight', [10, 10]);
      expect(values[0]).toBe(3000);
      expect(values[99]).toBe(3099);
      await expect(checkpoint.readFloat32('lm_head.weight')).rejects.toThrow(/missing tensor "lm_head.weight"/);
    } finally {
      await checkpoint.close();
    }
  });

  it('writes a single model.safetensors when everything fits, and opens it from the folder or the file', async () => {
    const folder = await mkdtemp(join(root, 'single-'));
    const result = await writeShardedSafetensors(folder, [layer(0), layer(1)]);
    expect(result).toEqual({ files: ['model.safetensors'], totalSize: 800, indexPath: undefined });
    expect(await readdir(folder)).toEqual(['model.safetensors']);
    const created = join(folder, 'new', 'folder');
    await writeShardedSafetensors(created, [layer(0)]);
    expect(await readdir(created)).toEqual(['model.safetensors']);
    for (const path of [folder, join(folder, 'model.safetensors')]) {
      const checkpoint = await SafetensorsCheckpoint.open(path);
      expect(checkpoint.metadata).toEqual({ format: 'pt' });
      expect((await checkpoint.readFloat32('model.layers.1.weight'))[5]).toBe(1005);
      await checkpoint.close();
    }
  });

  it('reports a tensor the index places in a shard that lacks it, with shard file and tensor name', async () => {
    const folder = await mkdtemp(join(root, 'missing-'));
    await writeShardedSafetensors(folder, [0, 1, 2].map(layer), { maxShardBytes: 400 });
    const indexPath = join(folder, SHARDED_INDEX_FILE);
    const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map: Record<string, string> };
    index.weight_map['lm_head.weight'] = 'model-00001-of-00003.safetensors';
    await writeFile(indexPath, JSON.stringify(index));
    const error = await openError(folder);
    expect(error.message).toMatch(/missing tensor "lm_head.weight"/);
    expect(error.file).toBe(join(folder, 'model-00001-of-00003.safetensors'));
    expect(error.field).toBe('lm_head.weight');
  });

  it('refuses shard names that leave the folder, and folders without weights', async () => {
    const folder = await mkdtemp(join(root, 'escape-'));
    await writeFile(join(folder, SHARDED_INDEX_FILE), JSON.stringify({ metadata: {}, weight_map: { x: '../secret.safetensors' } }));
    expect((await openError(folder)).message).toMatch(/bare \*\.safetensors file name/);
    const empty = await mkdtemp(join(root, 'empty-'));
    expect((await openError(empty)).message).toMatch(/no model.safetensors or model.safetensors.index.json/);
  });
});
