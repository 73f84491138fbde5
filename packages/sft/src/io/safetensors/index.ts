export { SafetensorsReader } from './safetensors-reader';
export { writeSafetensors, type SafetensorsWriteEntry, type WriteSafetensorsOptions } from './safetensors-writer';
export {
  SHARDED_INDEX_FILE,
  SINGLE_CHECKPOINT_FILE,
  SafetensorsCheckpoint,
  parseShardedIndex,
  readShardedIndex,
  writeShardedSafetensors,
  type ShardedIndex,
  type ShardedWriteResult,
  type WriteShardedOptions,
} from './sharded-checkpoint';
