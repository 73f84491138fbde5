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
export {
  checkTensorData,
  decodeSafetensors,
  encodeHeaderLength,
  encodeSafetensors,
  encodeSafetensorsHeader,
  entryByteLength,
  tensorDataBytes,
  type DecodedSafetensors,
  type SafetensorsEntry,
} from './safetensors-codec';
