import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { BackendError, InvalidOptionError, ModelFormatError, type ScoringInput } from '@steerlm/core';
import { resolveModelSource, type HubDownloadOptions } from '@steerlm/core/node';
import type { BlockedFeaturizer, DescribedFeaturizer } from './featurizer-description';
import { assertScorable, keepHead, promptText } from './scoring-text';

export interface TransformersFeaturizerOptions {
  /**
   * A LOCAL model folder in Hugging Face layout (config.json, tokenizer.json, onnx/model.onnx).
   * transformers.js's own remote loading is always off: a Hub id is fetched by
   * {@link loadTransformersFeaturizer} into the Hugging Face cache, and its snapshot folder is used here.
   */
  modelPath: string;
  /** ONNX weights to load (default 'fp32'; e.g. 'q8' loads onnx/model_quantized.onnx). */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4';
  /** Scale each pooled vector to unit length (default true). */
  normalize?: boolean;
  /** The longest response embedded (default 2000 characters); the rest is cut (documented truncation). */
  maxResponseCharacters?: number;
  /** The longest prompt context embedded (default 1000 characters, newest part kept). */
  maxPromptCharacters?: number;
  /** Texts per model call (default 8). */
  batchSize?: number;
}

interface FeatureExtractionOutput {
  data: ArrayLike<number>;
  dims: number[];
}
type FeatureExtractor = ((texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<FeatureExtractionOutput>) & {
  dispose?: () => Promise<void>;
};

type OnnxDtype = NonNullable<TransformersFeaturizerOptions['dtype']>;

/** The ONNX file transformers.js loads for `dtype`: onnx/model.onnx, onnx/model_quantized.onnx (q8), onnx/model_fp16.onnx, … */
function onnxWeightsFile(dtype: OnnxDtype): string {
  return `onnx/${dtype === 'fp32' ? 'model' : `model_${dtype === 'q8' ? 'quantized' : dtype}`}.onnx`;
}

/** Returns the hidden size named by a model folder's config.json, refusing folders that are not models. */
function readHiddenSize(folder: string): number {
  const configPath = resolve(folder, 'config.json');
  if (!existsSync(folder)) {
    throw new InvalidOptionError(`no local model folder at ${folder}`, {
      option: 'modelPath',
      hint: 'remote model loading is off here: for a Hub id, use loadTransformersFeaturizer (it fetches the model into the Hugging Face cache), or pass a folder with config.json, tokenizer.json and onnx/model.onnx',
    });
  }
  if (!existsSync(configPath)) throw new ModelFormatError('the model folder has no config.json', { file: configPath });
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new ModelFormatError('config.json is not valid JSON', { file: configPath, cause });
  }
  const size = config.hidden_size ?? config.dim ?? config.d_model ?? config.n_embd;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
    throw new ModelFormatError('config.json names no hidden size (hidden_size, dim, d_model or n_embd)', { file: configPath });
  }
  return size;
}

/**
 * Returns a featurizer of [mean-pooled(prompt), mean-pooled(response)] from a local Hugging Face encoder
 * run by transformers.js `feature-extraction` with remote loading off (`env.allowRemoteModels = false`).
 */
export function createTransformersFeaturizer(options: TransformersFeaturizerOptions): DescribedFeaturizer & BlockedFeaturizer & { dispose(): Promise<void> } {
  if (typeof options?.modelPath !== 'string' || options.modelPath === '') {
    throw new InvalidOptionError('modelPath must be the path of a local model folder', { option: 'modelPath' });
  }
  const folder = resolve(options.modelPath);
  const hiddenSize = readHiddenSize(folder);
  const dtype = options.dtype ?? 'fp32';
  const normalize = options.normalize ?? true;
  const maxResponseCharacters = options.maxResponseCharacters ?? 2000;
  const maxPromptCharacters = options.maxPromptCharacters ?? 1000;
  const batchSize = options.batchSize ?? 8;
  for (const [option, value] of Object.entries({ maxResponseCharacters, maxPromptCharacters, batchSize })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new InvalidOptionError(`${option} must be a positive integer, got ${value}`, { option });
  }
  let extractor: Promise<FeatureExtractor> | undefined;
  const load = async (): Promise<FeatureExtractor> => {
    const transformers = await import('@huggingface/transformers');
    const { env } = transformers;
    const saved = { allowRemoteModels: env.allowRemoteModels, allowLocalModels: env.allowLocalModels, localModelPath: env.localModelPath };
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${dirname(folder)}/`;
    try {
      const pipeline = transformers.pipeline as unknown as (task: string, model: string, options: Record<string, unknown>) => Promise<FeatureExtractor>;
      return await pipeline('feature-extraction', basename(folder), { dtype, local_files_only: true });
    } catch (cause) {
      throw new BackendError(`transformers.js cannot load the local model at ${folder}`, {
        cause,
        backend: 'onnxruntime',
        hint: `the folder needs tokenizer.json and ${onnxWeightsFile(dtype)}`,
      });
    } finally {
      env.allowLocalModels = saved.allowLocalModels;
      env.localModelPath = saved.localModelPath;
      // Remote loading stays off for the process: a featurizer must never reach the network.
      env.allowRemoteModels = false;
    }
  };
  const modelName = basename(folder);
  return {
    specificationVersion: 'v1',
    id: `transformers:${modelName}:dtype=${dtype}:pooling=mean:normalize=${normalize ? 1 : 0}:response=${maxResponseCharacters}:prompt=${maxPromptCharacters}`,
    dimension: 2 * hiddenSize,
    featureBlocks: [hiddenSize, hiddenSize],
    description: { type: 'transformers', options: { modelPath: folder, dtype, normalize, maxResponseCharacters, maxPromptCharacters, batchSize } },
    async featurize(inputs: readonly ScoringInput[]): Promise<Float32Array[]> {
      inputs.forEach(assertScorable);
      extractor ??= load();
      const run = await extractor;
      const texts: string[] = [];
      for (const input of inputs) texts.push(promptText(input, maxPromptCharacters) || ' ', keepHead(input.response, maxResponseCharacters));
      const pooled: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += batchSize) {
        const batch = texts.slice(start, start + batchSize);
        const output = await run(batch, { pooling: 'mean', normalize });
        if (output.dims.length !== 2 || output.dims[0] !== batch.length || output.dims[1] !== hiddenSize) {
          throw new ModelFormatError(`the model returned features of shape [${output.dims.join(', ')}], expected [${batch.length}, ${hiddenSize}]`, {
            file: folder,
            hint: 'config.json hidden_size must match the model output',
          });
        }
        for (let row = 0; row < batch.length; row += 1)
          pooled.push(Float32Array.from(Array.prototype.slice.call(output.data, row * hiddenSize, (row + 1) * hiddenSize) as number[]));
      }
      return inputs.map((_, index) => {
        const vector = new Float32Array(2 * hiddenSize);
        vector.set(pooled[2 * index]!, 0);
        vector.set(pooled[2 * index + 1]!, hiddenSize);
        return vector;
      });
    },
    async dispose(): Promise<void> {
      const pending = extractor;
      extractor = undefined;
      if (pending) await (await pending.catch(() => undefined))?.dispose?.();
    },
  };
}

/** Options of {@link loadTransformersFeaturizer}. */
export interface LoadTransformersFeaturizerOptions extends TransformersFeaturizerOptions {
  /**
   * How a Hub id is fetched (see `downloadHubSnapshot` in @steerlm/core/node): progress, token,
   * endpoint, cache, offline; unset ones come from HF_TOKEN, HF_ENDPOINT, HF_HUB_CACHE, HF_HUB_OFFLINE.
   */
  hub?: Omit<HubDownloadOptions, 'files'>;
}

/**
 * Returns {@link createTransformersFeaturizer} for a local folder or a Hugging Face Hub id
 * (`Xenova/all-MiniLM-L6-v2`, `org/name@revision`) that is not a local path: only config.json, the
 * tokenizer files and the ONNX weights of `dtype` are fetched, into the Hugging Face cache that Python's
 * huggingface_hub shares (or taken from it), and transformers.js loads the snapshot folder with its own
 * remote loading off.
 */
export async function loadTransformersFeaturizer(
  options: LoadTransformersFeaturizerOptions,
): Promise<DescribedFeaturizer & BlockedFeaturizer & { dispose(): Promise<void> }> {
  if (typeof options?.modelPath !== 'string' || options.modelPath === '') {
    throw new InvalidOptionError('modelPath must be a local model folder or a Hub id', { option: 'modelPath' });
  }
  const weights = onnxWeightsFile(options.dtype ?? 'fp32');
  const { path } = await resolveModelSource(options.modelPath, {
    ...options.hub,
    files: { required: ['config.json', 'tokenizer.json', weights], optional: ['tokenizer_config.json', 'special_tokens_map.json', `${weights}_data`] },
  });
  const { hub: _hub, ...rest } = options;
  return createTransformersFeaturizer({ ...rest, modelPath: path });
}
