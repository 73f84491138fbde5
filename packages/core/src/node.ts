// `@steerlm/core/node`: file output for Node — atomic writes, JSONL writers and resumable outputs.
import './node/install-file-reader';

export { readFileChunks } from './node/read-file-chunks';
export { syncFile, syncFolder, temporaryPathBeside, writeAll, writeBytesAtomically, writeFileAtomically, writeTextFileAtomically } from './node/atomic-file';
export { openJsonlWriter, writeJsonl, type JsonlTailRepair, type JsonlWriter, type JsonlWriterOptions, type WriteJsonlOptions } from './node/jsonl-writer';
export { writeNemoRecords, writeRegressionRecords } from './node/record-files';
export { openResumableJsonlWriter, partialPathOf, type ResumableJsonlWriter, type ResumableJsonlWriterOptions } from './node/resumable-jsonl-writer';
export { isGzipPath, readDataFileChunks } from './node/read-file-chunks';
export { readParquetInfo, readParquetRows, type ParquetFileInfo, type ReadParquetRowsOptions } from './node/parquet-rows';
