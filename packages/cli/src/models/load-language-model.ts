import { stat } from 'node:fs/promises';
import { createOpenAICompatibleModel, InvalidOptionError, type LanguageModel, type ProgressListener } from '@steerlm/core';
import type { DecodeEngineName, OnnxruntimeDecoderOptions } from '@steerlm/sft';
import { AttributeEchoModel } from './attribute-echo-model';
import { resolveModelFolder } from './resolve-model-folder';
import { selectComputeBackend } from './select-compute-backend';

/** The built-in model names `--model` accepts besides a model folder. */
export const BUILTIN_MODELS = Object.freeze(['attribute-echo'] as const);

/** A loaded model and what to report about where it runs. */
export interface LoadedLanguageModel {
  readonly model: LanguageModel;
  /** The compute backend, e.g. `webgpu`, `wasm`, `cpu`, or `none` for built-in models. */
  readonly backend: string;
  /** The device in words, e.g. `mesa llvmpipe (software)`. */
  readonly device: string;
  /** The decode engine of a model folder (`onnxruntime` or `tfjs`), `none` for built-in and `remote` for endpoint models. */
  readonly engine: string;
}

/**
 * Returns the model `--model` names: a built-in (`attribute-echo`, a weightless model that spells out
 * the requested attributes), an OpenAI-compatible endpoint (`http://host:port/v1`; its model name from
 * STEERLM_REMOTE_MODEL, its key from STEERLM_API_KEY), a Hugging Face-style model folder (config.json,
 * safetensors, tokenizer) or a Hugging Face Hub id `org/name[@revision]` (downloaded into the Hugging
 * Face cache, progress to `onProgress`), loaded on the best available backend and decoded by
 * `options.engine` (default auto: onnxruntime where it loads, else tfjs); `continuousBatching` makes a
 * local model decode concurrent requests in one running batch (steerlm serve).
 */
export async function loadLanguageModel(
  name: string,
  options: {
    wordDelayMs?: number;
    backend?: string;
    engine?: DecodeEngineName;
    onProgress?: ProgressListener;
    continuousBatching?: { maxRows: number };
    /** Settings of the onnxruntime engine (e.g. `worker: true`, serve's decode thread). */
    onnxruntime?: OnnxruntimeDecoderOptions;
  } = {},
): Promise<LoadedLanguageModel> {
  if (name === 'attribute-echo') {
    return { model: new AttributeEchoModel({ wordDelayMs: options.wordDelayMs ?? 0 }), backend: 'none', device: 'built-in model (no weights)', engine: 'none' };
  }
  if (/^https?:\/\//.test(name)) {
    const model = createOpenAICompatibleModel({
      baseURL: name,
      model: process.env.STEERLM_REMOTE_MODEL ?? 'steerlm',
      ...(process.env.STEERLM_API_KEY ? { apiKey: process.env.STEERLM_API_KEY } : {}),
    });
    return { model, backend: 'remote', device: name, engine: 'remote' };
  }
  const { folder, hubRepo } = await resolveModelFolder(name, options.onProgress ? { onProgress: options.onProgress } : {});
  if (!(await stat(folder).catch(() => undefined))?.isDirectory()) {
    throw new InvalidOptionError(`--model ${JSON.stringify(name)} is neither a model folder, a Hugging Face Hub id nor a built-in model`, {
      option: 'model',
      hint: `give a folder with config.json, model.safetensors and tokenizer.json (e.g. one "steerlm sft train" wrote), a Hub id such as HuggingFaceTB/SmolLM2-135M-Instruct[@revision], an http(s)://…/v1 endpoint, or one of: ${BUILTIN_MODELS.join(', ')}`,
    });
  }
  const compute = await selectComputeBackend(options.backend);
  const sft = await import('@steerlm/sft');
  const decoder = await sft.DecoderModel.load(folder);
  const tokenizer = await sft.loadTokenizer(folder);
  const modelId = hubRepo ?? name.replace(/\/+$/, '').split('/').at(-1) ?? name;
  const model = new sft.LocalLanguageModel(decoder, tokenizer, {
    modelId,
    ...(options.engine !== undefined ? { engine: options.engine } : {}),
    // Continuous batching (serve): concurrent generate/stream calls join one running decode batch.
    ...(options.continuousBatching ? { continuousBatching: options.continuousBatching } : {}),
    ...(options.onnxruntime ? { onnxruntime: options.onnxruntime } : {}),
  });
  // Export for onnxruntime now, so the first request (of `serve`) does not wait for it.
  return { model, ...compute, engine: await model.prepareEngine() };
}
