import { InvalidOptionError, ShapeError } from '../errors';
import { float32ToBfloat16Bytes, float32ToFloat16Bytes } from './float-conversion';
import { bytesPerElement, elementCount, isFloatDtype, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-dtype';
import { parseSafetensorsHeader, readHeaderLength } from './safetensors-header';
import { decodeTensorBytes, hostIsLittleEndian, type SafetensorsTensor, type SafetensorsTensorData } from './tensor-data';

/** One tensor to encode: its name, the dtype to store it as, its shape and its values. */
export interface SafetensorsEntry {
  name: string;
  /** Stored dtype. F32/F16/BF16 take a Float32Array (rounded to nearest even); I64 a BigInt64Array; I32 an Int32Array; U8/BOOL a Uint8Array. */
  dtype: SafetensorsDtype;
  shape: readonly number[];
  data: SafetensorsTensorData;
}

/** Returns the byte length `entry` takes in the data section, after validating its name, dtype and shape. */
export function entryByteLength(entry: Pick<SafetensorsEntry, 'name' | 'dtype' | 'shape'>): number {
  if (typeof entry.name !== 'string' || entry.name.length === 0 || entry.name === '__metadata__') {
    throw new InvalidOptionError(`invalid tensor name ${JSON.stringify(entry.name)}`, {
      option: 'name',
      hint: 'use a non-empty name other than "__metadata__"',
    });
  }
  if (!isSafetensorsDtype(entry.dtype)) {
    throw new InvalidOptionError(`tensor "${entry.name}": unsupported dtype ${JSON.stringify(entry.dtype)} (supported: ${SAFETENSORS_DTYPES.join(', ')})`, {
      option: 'dtype',
    });
  }
  if (!entry.shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new ShapeError(`tensor "${entry.name}": shape [${entry.shape.join(', ')}] must hold non-negative integers`, { field: entry.name });
  }
  const length = elementCount(entry.shape) * bytesPerElement(entry.dtype);
  if (!Number.isSafeInteger(length)) throw new ShapeError(`tensor "${entry.name}": shape [${entry.shape.join(', ')}] is too large`, { field: entry.name });
  return length;
}

/** Throws unless `data` is the typed array `entry.dtype` is written from, with as many elements as the shape. */
export function checkTensorData(entry: Pick<SafetensorsEntry, 'name' | 'dtype' | 'shape'>, data: SafetensorsTensorData): void {
  const expectedType = isFloatDtype(entry.dtype) ? Float32Array : entry.dtype === 'I64' ? BigInt64Array : entry.dtype === 'I32' ? Int32Array : Uint8Array;
  if (!(data instanceof expectedType)) {
    throw new InvalidOptionError(`tensor "${entry.name}": ${entry.dtype} is written from a ${expectedType.name}, got ${data.constructor.name}`, {
      option: 'data',
    });
  }
  const count = elementCount(entry.shape);
  if (data.length !== count) {
    throw new ShapeError(`tensor "${entry.name}": shape [${entry.shape.join(', ')}] has ${count} elements but the data holds ${data.length}`, {
      field: entry.name,
    });
  }
  if (entry.dtype === 'BOOL' && (data as Uint8Array).some((value) => value > 1)) {
    throw new InvalidOptionError(`tensor "${entry.name}": BOOL data must hold only 0 and 1`, { option: 'data' });
  }
}

function littleEndianBytes(data: Exclude<SafetensorsTensorData, Uint8Array>, width: 4 | 8): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (hostIsLittleEndian) return bytes;
  const copy = bytes.slice();
  for (let start = 0; start < copy.length; start += width) copy.subarray(start, start + width).reverse();
  return copy;
}

/**
 * Yields the file bytes of checked tensor data as stored for `dtype` (little-endian; F16/BF16 rounded
 * to nearest even), in pieces of at most `chunkElements` elements for the 16-bit conversions.
 */
export function* tensorDataBytes(dtype: SafetensorsDtype, data: SafetensorsTensorData, chunkElements = 1 << 20): Generator<Uint8Array> {
  if (dtype === 'F16' || dtype === 'BF16') {
    const values = data as Float32Array;
    const encode = dtype === 'F16' ? float32ToFloat16Bytes : float32ToBfloat16Bytes;
    for (let start = 0; start < values.length; start += chunkElements) yield encode(values.subarray(start, start + chunkElements));
  } else if (dtype === 'U8' || dtype === 'BOOL') {
    yield data as Uint8Array;
  } else {
    yield littleEndianBytes(data as Exclude<SafetensorsTensorData, Uint8Array>, dtype === 'I64' ? 8 : 4);
  }
}

/** Returns the safetensors header bytes (JSON padded with spaces to a multiple of 8) for `entries` in order. */
export function encodeSafetensorsHeader(entries: readonly Pick<SafetensorsEntry, 'name' | 'dtype' | 'shape'>[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new InvalidOptionError(`metadata "${key}" must be a string, got ${typeof value}`, { option: 'metadata' });
    }
    header.__metadata__ = metadata;
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const entry of entries) {
    const length = entryByteLength(entry);
    if (seen.has(entry.name)) throw new InvalidOptionError(`duplicate tensor name "${entry.name}"`, { option: 'name' });
    seen.add(entry.name);
    Object.defineProperty(header, entry.name, {
      value: { dtype: entry.dtype, shape: [...entry.shape], data_offsets: [offset, offset + length] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}

/** Returns the 8-byte little-endian prefix holding the header length. */
export function encodeHeaderLength(headerLength: number): Uint8Array {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerLength), true);
  return prefix;
}

/**
 * Returns the bytes of a safetensors file holding `entries` in the given order (the format of
 * huggingface/safetensors): for in-memory files and browsers. Node code writing large checkpoints
 * streams them to disk instead (`writeSafetensors` in @steerlm/sft).
 */
export function encodeSafetensors(entries: readonly SafetensorsEntry[], options: { metadata?: Record<string, string> } = {}): Uint8Array {
  const header = encodeSafetensorsHeader(entries, options.metadata);
  let total = 8 + header.byteLength;
  for (const entry of entries) {
    checkTensorData(entry, entry.data);
    total += entryByteLength(entry);
  }
  const bytes = new Uint8Array(total);
  bytes.set(encodeHeaderLength(header.byteLength), 0);
  bytes.set(header, 8);
  let position = 8 + header.byteLength;
  for (const entry of entries) {
    for (const piece of tensorDataBytes(entry.dtype, entry.data)) {
      bytes.set(piece, position);
      position += piece.byteLength;
    }
  }
  return bytes;
}

/** What {@link decodeSafetensors} returns: the `__metadata__` map and the tensors in data order. */
export interface DecodedSafetensors {
  metadata: Record<string, string>;
  tensors: SafetensorsTensor[];
}

/**
 * Returns the tensors and metadata of the bytes of a whole safetensors file, after validating the
 * header (size, JSON, dtypes, shapes, byte ranges that tile the data section). `file` names the
 * source in errors.
 */
export function decodeSafetensors(bytes: Uint8Array, options: { file?: string } = {}): DecodedSafetensors {
  const file = options.file ?? '<bytes>';
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.byteLength, file);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), bytes.byteLength - 8 - headerLength, file);
  const tensors = header.tensors.map((info) => ({
    name: info.name,
    dtype: info.dtype,
    shape: [...info.shape],
    data: decodeTensorBytes(bytes.subarray(info.fileOffset, info.fileOffset + info.byteLength), info.dtype, { file, tensor: info.name }),
  }));
  return { metadata: { ...header.metadata }, tensors };
}
