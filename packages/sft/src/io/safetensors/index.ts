export {
  SAFETENSORS_DTYPES,
  bytesPerElement,
  elementCount,
  isFloatDtype,
  isSafetensorsDtype,
  type SafetensorsDtype,
  type SafetensorsFloatDtype,
} from './safetensors-dtype';
export {
  bfloat16BitsToFloat32,
  bfloat16BytesToFloat32,
  float16BitsToFloat32,
  float16BytesToFloat32,
  float32ToBfloat16Bits,
  float32ToBfloat16Bytes,
  float32ToFloat16Bits,
  float32ToFloat16Bytes,
} from './float-conversion';
export {
  MAX_SAFETENSORS_HEADER_BYTES,
  parseSafetensorsHeader,
  readHeaderLength,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './safetensors-header';
export { decodeTensorBytes, type SafetensorsTensor, type SafetensorsTensorData } from './tensor-data';
export { SafetensorsReader } from './safetensors-reader';
export { encodeSafetensorsHeader, writeSafetensors, type SafetensorsWriteEntry, type WriteSafetensorsOptions } from './safetensors-writer';
export { writeFileAtomically, writeTextFileAtomically } from './atomic-file';
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
