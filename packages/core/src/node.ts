// `@steerlm/core/node`: files under Node — atomic writes, JSONL writers, resumable outputs, .gz and parquet input —
// and Hugging Face Hub downloads into the shared cache.
import './node/install-file-reader';

export { readFileChunks } from './node/read-file-chunks';
export { syncFile, syncFolder, temporaryPathBeside, writeAll, writeBytesAtomically, writeFileAtomically, writeTextFileAtomically } from './node/atomic-file';
export { openJsonlWriter, writeJsonl, type JsonlTailRepair, type JsonlWriter, type JsonlWriterOptions, type WriteJsonlOptions } from './node/jsonl-writer';
export { writeNemoRecords, writeRegressionRecords } from './node/record-files';
export { openResumableJsonlWriter, partialPathOf, type ResumableJsonlWriter, type ResumableJsonlWriterOptions } from './node/resumable-jsonl-writer';
export {
  downloadHubSnapshot,
  HUB_MODEL_FILES,
  HUB_TOKENIZER_FILES,
  mergeHubFileSelections,
  type HubDownloadOptions,
  type HubFileSelection,
  type HubSnapshot,
} from './node/hub/hub-download';
export { HubCacheFolder } from './node/hub/hub-cache';
export { isCommitHash, parseHubModelId, type HubModelId } from './node/hub/hub-model-id';
export { resolveModelSource, type ResolvedModelSource } from './node/hub/hub-model-source';
export { hubSettings, type HubSettings, type HubSettingsOptions } from './node/hub/hub-settings';
export { isGzipPath, readDataFileChunks } from './node/read-file-chunks';
export type { JsonlLine } from './data/jsonl-reader';
export { readParquetInfo, readParquetRows, type ParquetFileInfo, type ReadParquetRowsOptions } from './node/parquet-rows';
