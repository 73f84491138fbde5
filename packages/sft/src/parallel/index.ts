export { DataParallelTrainer, type DataParallelOptions } from './data-parallel-trainer';
export { DATA_PARALLEL_WORKER_MODULE, isDataParallelWorker, runDataParallelWorker } from './data-parallel-worker';
export { batchRows, shardBatch } from './shard-batch';
export type { DataParallelRequest, DataParallelResponse, DataParallelWorkerData } from './data-parallel-protocol';
