import { ModelFormatError } from '../errors';
import { bfloat16BytesToFloat32, float16BytesToFloat32 } from './float-conversion';
import type { SafetensorsDtype } from './safetensors-dtype';

/** The typed array a tensor of each dtype is read into. */
export type SafetensorsTensorData = Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** A tensor held in memory: its dtype in the file, its shape and its values. */
export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: SafetensorsTensorData;
}

/** True on little-endian hosts (all common ones); tensor bytes are little-endian in the file. */
export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function copyAligned(bytes: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

function littleEndianWords(bytes: Uint8Array, width: 4 | 8): ArrayBuffer {
  const buffer = copyAligned(bytes);
  if (!hostIsLittleEndian) {
    const view = new Uint8Array(buffer);
    for (let start = 0; start < view.length; start += width) view.subarray(start, start + width).reverse();
  }
  return buffer;
}

/**
 * Returns little-endian tensor bytes decoded to a typed array: F32/F16/BF16 as Float32Array, I64 as
 * BigInt64Array, I32 as Int32Array, U8 and BOOL as Uint8Array (BOOL bytes must be 0 or 1).
 */
export function decodeTensorBytes(bytes: Uint8Array, dtype: SafetensorsDtype, where: { file: string; tensor: string }): SafetensorsTensorData {
  switch (dtype) {
    case 'F32':
      return new Float32Array(littleEndianWords(bytes, 4));
    case 'F16':
      return float16BytesToFloat32(bytes);
    case 'BF16':
      return bfloat16BytesToFloat32(bytes);
    case 'I32':
      return new Int32Array(littleEndianWords(bytes, 4));
    case 'I64':
      return new BigInt64Array(littleEndianWords(bytes, 8));
    case 'U8':
      return new Uint8Array(copyAligned(bytes));
    case 'BOOL': {
      const out = new Uint8Array(copyAligned(bytes));
      const bad = out.findIndex((value) => value > 1);
      if (bad >= 0) {
        throw new ModelFormatError(`BOOL tensor "${where.tensor}" holds byte ${out[bad]} at element ${bad}; booleans must be 0 or 1`, {
          file: where.file,
          field: where.tensor,
        });
      }
      return out;
    }
  }
}
