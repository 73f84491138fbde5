import type { ProgressListener } from '@steerlm/core';
import { HUB_MODEL_FILES, HUB_TOKENIZER_FILES, mergeHubFileSelections, resolveModelSource } from '@steerlm/core/node';

/** What a command loads a model from: config, weights, generation config, steerlm.json and the tokenizer. */
const MODEL_AND_TOKENIZER = mergeHubFileSelections(HUB_MODEL_FILES, HUB_TOKENIZER_FILES);

/** Where `--model` is on disk, and the Hub repo it came from. */
export interface ModelFolder {
  /** The folder to load from: the path given, or the Hugging Face cache snapshot of a Hub id. */
  readonly folder: string;
  /** `org/name` when `--model` was a Hub id. */
  readonly hubRepo?: string;
}

/**
 * Returns the folder of a `--model` value: a local folder as it is, or a Hub id `org/name[@revision]`
 * (when no such local path exists) downloaded into the Hugging Face cache (HF_HOME / HF_HUB_CACHE;
 * HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE honoured) with a progress bar, or taken from it.
 */
export async function resolveModelFolder(name: string, options: { onProgress?: ProgressListener } = {}): Promise<ModelFolder> {
  const resolved = await resolveModelSource(name, { files: MODEL_AND_TOKENIZER, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  return resolved.snapshot ? { folder: resolved.path, hubRepo: resolved.snapshot.repo } : { folder: resolved.path };
}

/** True for `--model` values that name no folder: a built-in model or an http(s) endpoint. */
export function isFolderlessModel(name: string): boolean {
  return name === 'attribute-echo' || /^https?:\/\//.test(name);
}
