import { HUB_TOKENIZER_FILES, resolveModelSource, type HubDownloadOptions } from '@steerlm/core/node';
import { locateTokenizerFiles, readTokenizerFiles } from './read-tokenizer-files';
import { tokenizerFromJson, type TransformersTokenizer } from './transformers-tokenizer';

/**
 * Returns the tokenizer of a local folder (tokenizer.json plus an optional tokenizer_config.json), of a
 * tokenizer.json path, or of a Hub id `org/name[@revision]` that is not a local path (its tokenizer.json,
 * tokenizer_config.json and special_tokens_map.json are downloaded into the Hugging Face cache, or taken
 * from it; `options.hub` as in DecoderModel.load). Files are read here and handed to transformers.js,
 * which itself never fetches anything.
 */
export async function loadTokenizer(folderOrFile: string, options: { hub?: Omit<HubDownloadOptions, 'files'> } = {}): Promise<TransformersTokenizer> {
  const { path } = await resolveModelSource(folderOrFile, { ...options.hub, files: HUB_TOKENIZER_FILES });
  const files = await locateTokenizerFiles(path);
  const { tokenizerJson, tokenizerConfig } = await readTokenizerFiles(files);
  return tokenizerFromJson(tokenizerJson, tokenizerConfig, files.tokenizerJsonPath);
}
