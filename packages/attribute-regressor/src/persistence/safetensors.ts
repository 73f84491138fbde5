import { ModelFormatError } from '@steerlm/core';

/** A float32 tensor: row-major data and its shape. */
export interface Float32Tensor {
  data: Float32Array;
  shape: number[];
}

/** The tensors of a safetensors file and its string metadata. */
export interface SafetensorsContent {
  tensors: Record<string, Float32Tensor>;
  metadata: Record<string, string>;
}

const maximumHeaderBytes = 100 * 1024 * 1024;

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/**
 * Returns the bytes of a safetensors file holding `tensors` as little-endian F32, in name order, with
 * the header padded by spaces to an 8-byte boundary (the format of huggingface/safetensors).
 */
export function encodeSafetensors(tensors: Record<string, Float32Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const tensor = tensors[name]!;
    if (name === '__metadata__') throw new ModelFormatError('"__metadata__" is reserved and cannot name a tensor');
    if (tensor.data.length !== elementCount(tensor.shape)) {
      throw new ModelFormatError(`tensor "${name}" has ${tensor.data.length} values but shape [${tensor.shape.join(', ')}]`);
    }
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + tensor.data.length * 4] };
    offset += tensor.data.length * 4;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding > 0) {
    json += ' '.repeat(padding);
    headerBytes = encoder.encode(json);
  }
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const name of names) {
    for (const value of tensors[name]!.data) {
      view.setFloat32(position, value, true);
      position += 4;
    }
  }
  return bytes;
}

/**
 * Returns the tensors and metadata of safetensors bytes after checking the header (size, JSON, dtypes,
 * shapes, contiguous in-bounds offsets). Only F32 is supported; `file` names the source in errors.
 */
export function decodeSafetensors(bytes: Uint8Array, file?: string): SafetensorsContent {
  const fail = (message: string, hint?: string): never => {
    throw new ModelFormatError(message, { ...(file !== undefined ? { file } : {}), ...(hint ? { hint } : {}) });
  };
  if (bytes.length < 8) fail(`a safetensors file needs at least 8 bytes, got ${bytes.length}`, 'the file is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > maximumHeaderBytes || 8 + headerLength > bytes.length) {
    fail(`the safetensors header claims ${headerLength} bytes but the file has ${bytes.length}`, 'the file is truncated or not safetensors');
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (cause) {
    throw new ModelFormatError('the safetensors header is not valid UTF-8 JSON', { ...(file !== undefined ? { file } : {}), cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the safetensors header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors: Record<string, Float32Tensor> = {};
  let metadata: Record<string, string> = {};
  const spans: Array<[number, number, string]> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Object.values(entry).some((value) => typeof value !== 'string')) {
        fail('"__metadata__" must map strings to strings');
      }
      metadata = { ...(entry as Record<string, string>) };
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (dtype !== 'F32') fail(`tensor "${name}" has dtype ${JSON.stringify(dtype)}; only F32 is supported here`, 'save the weights as float32');
    if (!Array.isArray(shape) || shape.some((size) => !Number.isSafeInteger(size) || size < 0)) fail(`tensor "${name}" has an invalid shape`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((value) => !Number.isSafeInteger(value))) fail(`tensor "${name}" has invalid data_offsets`);
    const [begin, end] = offsets as [number, number];
    const count = elementCount(shape as number[]);
    if (begin > end || end > dataLength) fail(`tensor "${name}" spans bytes ${begin}..${end}, outside the ${dataLength} data bytes`, 'the file is truncated');
    if (end - begin !== count * 4) fail(`tensor "${name}" has ${end - begin} bytes but shape [${(shape as number[]).join(', ')}] needs ${count * 4}`);
    const data = new Float32Array(count);
    for (let index = 0; index < count; index += 1) data[index] = view.getFloat32(dataStart + begin + index * 4, true);
    tensors[name] = { data, shape: [...(shape as number[])] };
    spans.push([begin, end, name]);
  }
  spans.sort((left, right) => left[0] - right[0]);
  let expected = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== expected) fail(`tensor "${name}" starts at byte ${begin}, expected ${expected}: the data has holes or overlaps`);
    expected = end;
  }
  if (expected !== dataLength) fail(`the data section has ${dataLength} bytes but the tensors cover ${expected}`);
  return { tensors, metadata };
}
