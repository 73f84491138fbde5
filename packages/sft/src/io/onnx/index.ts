// The ONNX model types and the protobuf encoder live in @steerlm/core (shared with @steerlm/attribute-regressor's
// USE-lite graph); the file writer stays here.
export { ProtobufWriter, encodeVarint } from '@steerlm/core';
export {
  ONNX_DATA_TYPES,
  onnxAttribute,
  type OnnxAttribute,
  type OnnxDataType,
  type OnnxDimension,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOpsetImport,
  type OnnxTensor,
  type OnnxValueInfo,
} from '@steerlm/core';
export {
  MAX_ONNX_PROTOBUF_BYTES,
  encodeOnnxModel,
  encodeOnnxModelParts,
  tensorRawBytes,
  type ExternalDataPlacer,
  type ExternalTensorLocation,
} from '@steerlm/core';
export { writeOnnxModel, type OnnxWriteResult, type WriteOnnxModelOptions } from './write-onnx-model';
