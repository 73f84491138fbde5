import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeOnnxModel } from '../io/onnx';
import type { DecoderModel } from '../models';
import { decoderOnnxModel } from './decoder-onnx-graph';
import { checkTokenizerFitsModel, ensureOutputFolder, resolveTokenizerFiles, writeModelFolderFiles } from './model-folder-files';
import type { ExportTokenizerSource, GenerationConfigOverrides } from './model-folder-files';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Fields of generation_config.json (default: BOS/EOS/PAD ids of the tokenizer). */
  generation?: GenerationConfigOverrides;
  /**
   * Keep the weights in `onnx/model.onnx_data` beside the graph (transformers.js then reads it through
   * `use_external_data_format`). Default: only when the weights exceed 1.5 GiB (protobuf stops at 2 GiB).
   */
  externalData?: boolean;
  /**
   * Build the graph with ONNX Runtime's contrib operators (GroupQueryAttention, SkipLayerNormalization,
   * …; see DecoderOnnxOptions.contribOps). transformers.js (onnxruntime) loads and runs it; runtimes
   * other than onnxruntime do not. Default false.
   */
  contribOps?: boolean;
}

/** What {@link exportOnnx} wrote. */
export interface ExportOnnxResult {
  folder: string;
  /** Paths relative to `folder`. */
  files: string[];
  modelBytes: number;
  externalBytes: number;
}

/** The weight size above which the export moves weights to external data by default. */
export const EXTERNAL_DATA_THRESHOLD_BYTES = 1.5 * 2 ** 30;

/**
 * Exports a decoder for transformers.js: writes `onnx/model.onnx` (float32, opset 17, with
 * past_key_values/present inputs and outputs), `config.json`, `generation_config.json`,
 * `tokenizer.json` and `tokenizer_config.json` into `outDir`, so that
 * `AutoModelForCausalLM.from_pretrained(outDir)` and `AutoTokenizer` load it offline. Returns what was written.
 */
export async function exportOnnx(
  model: DecoderModel,
  tokenizer: ExportTokenizerSource,
  outDir: string,
  options: ExportOnnxOptions = {},
): Promise<ExportOnnxResult> {
  const tokenizerFiles = await resolveTokenizerFiles(tokenizer);
  checkTokenizerFitsModel(tokenizerFiles, model.config);
  const onnxModel = await decoderOnnxModel(model, { contribOps: options.contribOps ?? false });
  await ensureOutputFolder(outDir);
  const weightBytes = model.parameterCount() * 4;
  const externalData = options.externalData ?? weightBytes > EXTERNAL_DATA_THRESHOLD_BYTES;
  const onnxFolder = join(outDir, 'onnx');
  await mkdir(onnxFolder, { recursive: true });
  if (!externalData) await rm(join(onnxFolder, 'model.onnx_data'), { force: true });
  const written = await writeOnnxModel(join(onnxFolder, 'model.onnx'), onnxModel, externalData ? { externalData: { fileName: 'model.onnx_data' } } : {});
  const metadata = await writeModelFolderFiles(outDir, model.config, tokenizerFiles, {
    ...(options.generation ? { generation: options.generation } : {}),
    externalData,
  });
  const files = ['onnx/model.onnx', ...(externalData ? ['onnx/model.onnx_data'] : []), ...metadata];
  return { folder: outDir, files, modelBytes: written.modelBytes, externalBytes: written.externalBytes };
}
