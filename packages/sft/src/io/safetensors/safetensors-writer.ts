import {
  checkTensorData,
  encodeHeaderLength,
  encodeSafetensorsHeader,
  entryByteLength,
  tensorDataBytes,
  type SafetensorsDtype,
  type SafetensorsTensorData,
} from '@steerlm/core';
import { writeAll, writeFileAtomically } from '@steerlm/core/node';

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

/**
 * Writes `entries` to a safetensors file at `path`, streaming one tensor at a time (a function given
 * as `data` is called only when its tensor is written), atomically (temporary file + rename).
 * Returns the size of the written file in bytes.
 */
export async function writeSafetensors(path: string, entries: readonly SafetensorsWriteEntry[], options: WriteSafetensorsOptions = {}): Promise<number> {
  const header = encodeSafetensorsHeader(entries, options.metadata);
  return writeFileAtomically(path, async (handle) => {
    await writeAll(handle, encodeHeaderLength(header.byteLength));
    await writeAll(handle, header);
    let total = 8 + header.byteLength;
    for (const entry of entries) {
      const data = typeof entry.data === 'function' ? await entry.data() : entry.data;
      checkTensorData(entry, data);
      for (const piece of tensorDataBytes(entry.dtype, data)) await writeAll(handle, piece);
      total += entryByteLength(entry);
    }
    return total;
  });
}
