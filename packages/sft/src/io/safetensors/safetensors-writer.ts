import { endianness } from 'node:os';
import type { FileHandle } from 'node:fs/promises';
import { InvalidOptionError, ShapeError } from '@steerlm/core';
import { writeAll, writeFileAtomically } from './atomic-file';
import { float32ToBfloat16Bytes, float32ToFloat16Bytes } from './float-conversion';
import { bytesPerElement, elementCount, isFloatDtype, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-dtype';
import type { SafetensorsTensorData } from './tensor-data';

/** One tensor to write: its name, the dtype to store it as, its shape and its values. */
export interface SafetensorsWriteEntry {
  name: string;
  /** Stored dtype. F32/F16/BF16 take a Float32Array (rounded to nearest even); I64 a BigInt64Array; I32 an Int32Array; U8/BOOL a Uint8Array. */
  dtype: SafetensorsDtype;
  shape: readonly number[];
  /** The values, or a function giving them when their turn comes, so that only one tensor need be in memory. */
  data: SafetensorsTensorData | (() => SafetensorsTensorData | Promise<SafetensorsTensorData>);
}

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /** String key/values stored as `__metadata__` (e.g. `{ format: 'pt' }`). */
  metadata?: Record<string, string>;
}

const CHUNK_ELEMENTS = 1 << 20;
const hostIsLittleEndian = endianness() === 'LE';

/** Returns the byte length `entry` takes in the data section, after validating its name, dtype and shape. */
export function entryByteLength(entry: Pick<SafetensorsWriteEntry, 'name' | 'dtype' | 'shape'>): number {
  if (typeof entry.name !== 'string' || entry.name.length === 0 || entry.name === '__metadata__') {
    throw new InvalidOptionError(`invalid tensor name ${JSON.stringify(entry.name)}`, { option: 'name', hint: 'use a non-empty name other than "__metadata__"' });
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

function checkData(entry: SafetensorsWriteEntry, data: SafetensorsTensorData): void {
  const expectedType = isFloatDtype(entry.dtype)
    ? Float32Array
    : entry.dtype === 'I64'
      ? BigInt64Array
      : entry.dtype === 'I32'
        ? Int32Array
        : Uint8Array;
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

async function writeTensorData(handle: FileHandle, dtype: SafetensorsDtype, data: SafetensorsTensorData): Promise<void> {
  if (dtype === 'F16' || dtype === 'BF16') {
    const values = data as Float32Array;
    const encode = dtype === 'F16' ? float32ToFloat16Bytes : float32ToBfloat16Bytes;
    for (let start = 0; start < values.length; start += CHUNK_ELEMENTS) {
      await writeAll(handle, encode(values.subarray(start, start + CHUNK_ELEMENTS)));
    }
  } else if (dtype === 'U8' || dtype === 'BOOL') {
    await writeAll(handle, data as Uint8Array);
  } else {
    await writeAll(handle, littleEndianBytes(data as Exclude<SafetensorsTensorData, Uint8Array>, dtype === 'I64' ? 8 : 4));
  }
}

/** Returns the safetensors header bytes (JSON padded with spaces to a multiple of 8) for `entries` in order. */
export function encodeSafetensorsHeader(entries: readonly Pick<SafetensorsWriteEntry, 'name' | 'dtype' | 'shape'>[], metadata?: Record<string, string>): Uint8Array {
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

/**
 * Writes `entries` to a safetensors file at `path`, streaming one tensor at a time (a function given
 * as `data` is called only when its tensor is written), atomically (temporary file + rename).
 * Returns the size of the written file in bytes.
 */
export async function writeSafetensors(path: string, entries: readonly SafetensorsWriteEntry[], options: WriteSafetensorsOptions = {}): Promise<number> {
  const header = encodeSafetensorsHeader(entries, options.metadata);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  return writeFileAtomically(path, async (handle) => {
    await writeAll(handle, prefix);
    await writeAll(handle, header);
    let total = 8 + header.byteLength;
    for (const entry of entries) {
      const data = typeof entry.data === 'function' ? await entry.data() : entry.data;
      checkData(entry, data);
      await writeTensorData(handle, entry.dtype, data);
      total += entryByteLength(entry);
    }
    return total;
  });
}
