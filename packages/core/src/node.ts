// `@steerlm/core/node`: files under Node — atomic writes, JSONL writers, resumable outputs, .gz and parquet input.
import './node/install-file-reader';

export { readFileChunks } from './node/read-file-chunks';
export { syncFile, syncFolder, temporaryPathBeside, writeAll, writeBytesAtomically, writeFileAtomically, writeTextFileAtomically } from './node/atomic-file';
export { openJsonlWriter, writeJsonl, type JsonlTailRepair, type JsonlWriter, type JsonlWriterOptions, type WriteJsonlOptions } from './node/jsonl-writer';
export { writeNemoRecords, writeRegressionRecords } from './node/record-files';
export { openResumableJsonlWriter, partialPathOf, type ResumableJsonlWriter, type ResumableJsonlWriterOptions } from './node/resumable-jsonl-writer';
export { isGzipPath, readDataFileChunks } from './node/read-file-chunks';
export type { JsonlLine } from './data/jsonl-reader';
export { readParquetInfo, readParquetRows, type ParquetFileInfo, type ReadParquetRowsOptions } from './node/parquet-rows';
