import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { Featurizer, ScoringInput } from '@steerlm/core';

interface CacheFile {
  featurizer: string;
  vectors: Record<string, number[]>;
}

/**
 * Returns the feature vectors of the items, reading those already in the cache file (for the same
 * featurizer id) and writing the file back with any new ones; `cached` counts the vectors reused.
 */
export async function cachedFeatures(
  featurizer: Featurizer,
  items: readonly { messageId: string; input: ScoringInput }[],
  file: string | undefined,
): Promise<{ vectors: Float32Array[]; cached: number; featurizeMs: number }> {
  let cache: CacheFile = { featurizer: featurizer.id, vectors: {} };
  if (file && existsSync(file)) {
    const loaded = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
    if (loaded.featurizer === featurizer.id) cache = loaded;
  }
  const missing = items.filter((item) => !cache.vectors[item.messageId]);
  const started = performance.now();
  for (let start = 0; start < missing.length; start += 64) {
    const batch = missing.slice(start, start + 64);
    const vectors = await featurizer.featurize(batch.map((item) => item.input));
    batch.forEach((item, index) => {
      cache.vectors[item.messageId] = [...vectors[index]!];
    });
  }
  const featurizeMs = performance.now() - started;
  if (file && missing.length > 0) await writeFile(file, JSON.stringify(cache));
  return { vectors: items.map((item) => Float32Array.from(cache.vectors[item.messageId]!)), cached: items.length - missing.length, featurizeMs };
}
