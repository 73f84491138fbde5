import { InvalidOptionError } from '../errors';
import { float32ToBfloat16Bytes, float32ToFloat16Bytes } from '../safetensors/float-conversion';
import { ONNX_DATA_TYPES, type OnnxAttribute, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-model';
import { ProtobufWriter } from './protobuf-writer';

/** Where a tensor's bytes go when they are kept outside the model file. */
export interface ExternalTensorLocation {
  location: string;
  offset: number;
  length: number;
}

/** Decides, per initializer, whether its bytes go into an external data file; returns the location or undefined. */
export type ExternalDataPlacer = (tensor: OnnxTensor, bytes: Uint8Array) => ExternalTensorLocation | undefined;

/** The largest protobuf message ONNX Runtime reads (2 GiB − 1). */
export const MAX_ONNX_PROTOBUF_BYTES = 2 ** 31 - 1;

const ATTRIBUTE_TYPES = { float: 1, int: 2, string: 3, tensor: 4, graph: 5, floats: 6, ints: 7, strings: 8 } as const;
// Browser-safe (no node:os): a 16-bit 1 stored little-endian has its low byte first.
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const EXPECTED_ARRAY: Record<keyof typeof ONNX_DATA_TYPES, { name: string; check: (data: unknown) => boolean }> = {
  float32: { name: 'Float32Array', check: (data) => data instanceof Float32Array },
  float16: { name: 'Float32Array', check: (data) => data instanceof Float32Array },
  bfloat16: { name: 'Float32Array', check: (data) => data instanceof Float32Array },
  double: { name: 'Float64Array', check: (data) => data instanceof Float64Array },
  int64: { name: 'BigInt64Array', check: (data) => data instanceof BigInt64Array },
  int32: { name: 'Int32Array', check: (data) => data instanceof Int32Array },
  int8: { name: 'Int8Array', check: (data) => data instanceof Int8Array },
  uint8: { name: 'Uint8Array', check: (data) => data instanceof Uint8Array },
  bool: { name: 'Uint8Array', check: (data) => data instanceof Uint8Array },
};

/** Returns the little-endian raw_data bytes of a tensor, after checking its array type and element count. */
export function tensorRawBytes(tensor: OnnxTensor): Uint8Array {
  const expected = EXPECTED_ARRAY[tensor.dataType];
  if (expected === undefined)
    throw new InvalidOptionError(`tensor "${tensor.name}": unsupported data type ${JSON.stringify(tensor.dataType)}`, { option: 'dataType' });
  if (!expected.check(tensor.data)) {
    throw new InvalidOptionError(`tensor "${tensor.name}": ${tensor.dataType} data must be a ${expected.name}, got ${tensor.data.constructor.name}`, {
      option: 'data',
    });
  }
  if (!tensor.dims.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new InvalidOptionError(`tensor "${tensor.name}": dims [${tensor.dims.join(', ')}] must be non-negative integers`, { option: 'dims' });
  }
  const count = tensor.dims.reduce((product, size) => product * size, 1);
  if (tensor.data.length !== count) {
    throw new InvalidOptionError(`tensor "${tensor.name}": dims [${tensor.dims.join(', ')}] hold ${count} elements but the data has ${tensor.data.length}`, {
      option: 'data',
    });
  }
  if (tensor.dataType === 'float16') return float32ToFloat16Bytes(tensor.data as Float32Array);
  if (tensor.dataType === 'bfloat16') return float32ToBfloat16Bytes(tensor.data as Float32Array);
  const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  if (hostIsLittleEndian || tensor.data.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = bytes.slice();
  const width = tensor.data.BYTES_PER_ELEMENT;
  for (let start = 0; start < copy.length; start += width) copy.subarray(start, start + width).reverse();
  return copy;
}

function writeTensor(writer: ProtobufWriter, tensor: OnnxTensor, placer: ExternalDataPlacer | undefined): void {
  const bytes = tensorRawBytes(tensor);
  writer.packedVarints(1, tensor.dims);
  writer.varint(2, ONNX_DATA_TYPES[tensor.dataType]);
  writer.string(8, tensor.name);
  if (tensor.docString !== undefined) writer.string(12, tensor.docString);
  const external = placer?.(tensor, bytes);
  if (external === undefined) {
    writer.bytes(9, bytes);
    return;
  }
  for (const [key, value] of [
    ['location', external.location],
    ['offset', String(external.offset)],
    ['length', String(external.length)],
  ]) {
    writer.message(13, (entry) => entry.string(1, key!).string(2, value!));
  }
  writer.varint(14, 1);
}

function writeValueInfo(writer: ProtobufWriter, info: OnnxValueInfo): void {
  if (typeof info.name !== 'string' || info.name.length === 0)
    throw new InvalidOptionError('a graph input/output/value_info needs a non-empty name', { option: 'name' });
  if (!(info.elemType in ONNX_DATA_TYPES))
    throw new InvalidOptionError(`value "${info.name}": unsupported element type ${JSON.stringify(info.elemType)}`, { option: 'elemType' });
  writer.string(1, info.name);
  writer.message(2, (type) =>
    type.message(1, (tensorType) => {
      tensorType.varint(1, ONNX_DATA_TYPES[info.elemType]);
      if (info.shape === undefined) return;
      tensorType.message(2, (shape) => {
        for (const dimension of info.shape!) {
          shape.message(1, (dim) => {
            if (typeof dimension === 'string' && dimension.length > 0) dim.string(2, dimension);
            else if (typeof dimension === 'number' && Number.isSafeInteger(dimension) && dimension >= 0) dim.varint(1, dimension);
            else
              throw new InvalidOptionError(`value "${info.name}": dimension ${JSON.stringify(dimension)} must be a non-negative integer or a symbolic name`, {
                option: 'shape',
              });
          });
        }
      });
    }),
  );
  if (info.docString !== undefined) writer.string(3, info.docString);
}

function writeAttribute(writer: ProtobufWriter, name: string, attribute: OnnxAttribute, owner: string): void {
  writer.string(1, name);
  writer.varint(20, ATTRIBUTE_TYPES[attribute.type]);
  switch (attribute.type) {
    case 'float':
      writer.float(2, attribute.value);
      break;
    case 'int':
      writer.varint(3, attribute.value);
      break;
    case 'string':
      writer.string(4, attribute.value);
      break;
    case 'tensor':
      writer.message(5, (tensor) => writeTensor(tensor, attribute.value, undefined));
      break;
    case 'graph':
      writer.message(6, (graph) => writeGraph(graph, attribute.value, undefined, false));
      break;
    case 'floats':
      writer.packedFloats(7, attribute.value);
      break;
    case 'ints':
      writer.packedVarints(8, attribute.value);
      break;
    case 'strings':
      for (const value of attribute.value) writer.string(9, value);
      break;
    default:
      throw new InvalidOptionError(`node "${owner}": attribute "${name}" has unknown type ${JSON.stringify((attribute as { type: unknown }).type)}`, {
        option: 'attributes',
      });
  }
}

function writeNode(writer: ProtobufWriter, node: OnnxNode, index: number): void {
  const label = node.name ?? `${node.opType}#${index}`;
  for (const input of node.inputs) writer.string(1, input);
  for (const output of node.outputs) writer.string(2, output);
  if (node.name !== undefined) writer.string(3, node.name);
  writer.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) writer.message(5, (attribute) => writeAttribute(attribute, name, value, label));
  if (node.docString !== undefined) writer.string(6, node.docString);
  if (node.domain !== undefined && node.domain !== '') writer.string(7, node.domain);
}

/** Throws an InvalidOptionError when a node reads a value nothing produced before it, or an output is never produced. */
function checkTopology(graph: OnnxGraph): void {
  const known = new Set<string>([...graph.inputs.map((input) => input.name), ...(graph.initializers ?? []).map((tensor) => tensor.name)]);
  graph.nodes.forEach((node, index) => {
    if (typeof node.opType !== 'string' || node.opType.length === 0) throw new InvalidOptionError(`node ${index} has no opType`, { option: 'nodes' });
    if (node.outputs.length === 0) throw new InvalidOptionError(`node ${node.name ?? index} (${node.opType}) has no outputs`, { option: 'nodes' });
    for (const input of node.inputs) {
      if (input !== '' && !known.has(input)) {
        throw new InvalidOptionError(
          `node ${node.name ?? index} (${node.opType}) reads "${input}", which no graph input, initializer or earlier node provides`,
          {
            option: 'nodes',
            hint: 'list nodes in topological order and declare every input',
          },
        );
      }
    }
    for (const output of node.outputs) if (output !== '') known.add(output);
  });
  for (const output of graph.outputs) {
    if (!known.has(output.name)) throw new InvalidOptionError(`graph output "${output.name}" is produced by no node`, { option: 'outputs' });
  }
}

function writeGraph(writer: ProtobufWriter, graph: OnnxGraph, placer: ExternalDataPlacer | undefined, topLevel: boolean): void {
  if (topLevel) checkTopology(graph);
  graph.nodes.forEach((node, index) => writer.message(1, (nodeWriter) => writeNode(nodeWriter, node, index)));
  writer.string(2, graph.name);
  for (const tensor of graph.initializers ?? []) writer.message(5, (tensorWriter) => writeTensor(tensorWriter, tensor, placer));
  if (graph.docString !== undefined) writer.string(10, graph.docString);
  for (const input of graph.inputs) writer.message(11, (info) => writeValueInfo(info, input));
  for (const output of graph.outputs) writer.message(12, (info) => writeValueInfo(info, output));
  for (const value of graph.valueInfo ?? []) writer.message(13, (info) => writeValueInfo(info, value));
}

/**
 * Returns the protobuf writer holding a serialized ModelProto (use `.finish()` for the bytes, or
 * `.parts()` to stream them); `placer` may move initializer bytes to an external data file.
 */
export function encodeOnnxModelParts(model: OnnxModel, placer?: ExternalDataPlacer): ProtobufWriter {
  const writer = new ProtobufWriter();
  writer.varint(1, model.irVersion ?? 8);
  writer.string(2, model.producerName ?? 'steerlm-ts');
  if (model.producerVersion !== undefined) writer.string(3, model.producerVersion);
  if (model.domain !== undefined) writer.string(4, model.domain);
  if (model.modelVersion !== undefined) writer.varint(5, model.modelVersion);
  if (model.docString !== undefined) writer.string(6, model.docString);
  writer.message(7, (graph) => writeGraph(graph, model.graph, placer, true));
  for (const opset of model.opsetImports ?? [{ domain: '', version: 17 }]) {
    writer.message(8, (entry) => {
      if (opset.domain !== '') entry.string(1, opset.domain);
      entry.varint(2, opset.version);
    });
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) writer.message(14, (entry) => entry.string(1, key).string(2, value));
  if (writer.byteLength > MAX_ONNX_PROTOBUF_BYTES) {
    throw new InvalidOptionError(`the model serializes to ${writer.byteLength} bytes, above protobuf's 2 GiB limit`, {
      option: 'externalData',
      hint: 'write it with writeOnnxModel(path, model, { externalData: { fileName } })',
    });
  }
  return writer;
}

/** Returns the serialized ONNX ModelProto bytes of `model` (all weights inline). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  return encodeOnnxModelParts(model).finish();
}
