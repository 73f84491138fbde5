import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError } from '@steerlm/core';
import type { DecoderModel, SaveOptions } from '../models';
import { checkTokenizerFitsModel, ensureOutputFolder, resolveTokenizerFiles, writeModelFolderFiles } from './model-folder-files';
import type { ExportTokenizerSource, GenerationConfigOverrides } from './model-folder-files';

/** Options of {@link exportHuggingFace}: the stored dtype and sharding of `DecoderModel.save`, and generation defaults. */
export interface ExportHuggingFaceOptions extends SaveOptions {
  generation?: GenerationConfigOverrides;
}

/**
 * Writes a complete Hugging Face model folder: the weights (`DecoderModel.save`: safetensors, sharded
 * when asked) with `config.json`, `generation_config.json`, `tokenizer.json` and
 * `tokenizer_config.json`. Together with {@link exportOnnx} into the same folder, the folder serves
 * both Python transformers / `DecoderModel.load` and transformers.js. Returns the folder.
 */
export async function exportHuggingFace(
  model: DecoderModel,
  tokenizer: ExportTokenizerSource,
  outDir: string,
  options: ExportHuggingFaceOptions = {},
): Promise<string> {
  if (model.adapters.size > 0) {
    throw new InvalidOptionError(`the model has ${model.adapters.size} unmerged LoRA adapter(s); the export would leave them out`, {
      option: 'model',
      hint: 'call model.mergeLora() before exporting, or model.saveLora(folder) to keep the adapters apart',
    });
  }
  const tokenizerFiles = await resolveTokenizerFiles(tokenizer);
  checkTokenizerFitsModel(tokenizerFiles, model.config);
  await ensureOutputFolder(outDir);
  const { generation, ...saveOptions } = options;
  await model.save(outDir, saveOptions);
  const externalData = await stat(join(outDir, 'onnx', 'model.onnx_data')).then(
    (info) => info.isFile(),
    () => false,
  );
  await writeModelFolderFiles(outDir, model.config, tokenizerFiles, { ...(generation ? { generation } : {}), externalData });
  return outDir;
}
