import { open, type FileHandle } from 'node:fs/promises';
import {
  decodeTensorBytes,
  isFloatDtype,
  ModelFormatError,
  parseSafetensorsHeader,
  readHeaderLength,
  type SafetensorsTensor,
  type SafetensorsTensorInfo,
} from '@steerlm/core';
import { missingTensorError } from './missing-tensor';

async function readExactly(handle: FileHandle, length: number, position: number, file: string, what: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(bytes, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new ModelFormatError(`truncated safetensors file: ${what} needs ${length} bytes at offset ${position}, got ${filled}`, {
        file,
        hint: 'the file shrank or was cut short; fetch it again',
      });
    }
    filled += bytesRead;
  }
  return bytes;
}

/**
 * A safetensors file opened for lazy reading: the header is read and validated on open, tensors are
 * read one at a time with positioned file reads (the file is never loaded whole). Call `close()`.
 */
export class SafetensorsReader {
  private constructor(
    /** The path the file was opened from. */
    readonly path: string,
    private readonly handle: FileHandle,
    /** The `__metadata__` map of the file (empty when absent). */
    readonly metadata: Readonly<Record<string, string>>,
    private readonly entries: ReadonlyMap<string, SafetensorsTensorInfo>,
  ) {}

  /** Returns a reader for the safetensors file at `path`, after validating its header against its size. */
  static async open(path: string): Promise<SafetensorsReader> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      throw new ModelFormatError(`cannot open safetensors file (${(cause as Error).message})`, { file: path, cause });
    }
    try {
      const { size } = await handle.stat();
      const prefix = size >= 8 ? await readExactly(handle, 8, 0, path, 'the length prefix') : new Uint8Array(0);
      const headerLength = readHeaderLength(prefix, size, path);
      const headerBytes = await readExactly(handle, headerLength, 8, path, 'the header');
      const header = parseSafetensorsHeader(headerBytes, size - 8 - headerLength, path);
      const entries = new Map(header.tensors.map((tensor) => [tensor.name, tensor]));
      return new SafetensorsReader(path, handle, header.metadata, entries);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Returns the tensor names in data-section order. */
  tensorNames(): string[] {
    return [...this.entries.keys()];
  }

  /** Returns true when the file holds a tensor called `name`. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Returns the dtype, shape and byte range of tensor `name`; throws ModelFormatError when missing. */
  info(name: string): SafetensorsTensorInfo {
    const entry = this.entries.get(name);
    if (entry === undefined) throw missingTensorError(name, this.path, this.entries.size, 'file');
    return entry;
  }

  /** Returns the raw little-endian bytes of tensor `name`, read from disk now. */
  async readBytes(name: string): Promise<Uint8Array> {
    const entry = this.info(name);
    return readExactly(this.handle, entry.byteLength, entry.fileOffset, this.path, `tensor "${name}"`);
  }

  /** Returns tensor `name` decoded to its typed array (floats of any width as Float32Array). */
  async readTensor(name: string): Promise<SafetensorsTensor> {
    const entry = this.info(name);
    const bytes = await this.readBytes(name);
    const data = decodeTensorBytes(bytes, entry.dtype, { file: this.path, tensor: name });
    return { name, dtype: entry.dtype, shape: [...entry.shape], data };
  }

  /** Returns the values of float tensor `name` (F32, F16 or BF16) as a Float32Array; checks `expectedShape` when given. */
  async readFloat32(name: string, expectedShape?: readonly number[]): Promise<Float32Array> {
    const entry = this.info(name);
    if (!isFloatDtype(entry.dtype)) {
      throw new ModelFormatError(`tensor "${name}" is ${entry.dtype}, expected a float dtype (F32, F16 or BF16)`, {
        file: this.path,
        field: name,
      });
    }
    if (expectedShape !== undefined && (expectedShape.length !== entry.shape.length || expectedShape.some((size, axis) => size !== entry.shape[axis]))) {
      throw new ModelFormatError(`misshapen tensor "${name}": shape [${entry.shape.join(', ')}], expected [${expectedShape.join(', ')}]`, {
        file: this.path,
        field: name,
        hint: 'the checkpoint does not match the model config (hidden size, layers, vocabulary)',
      });
    }
    return (await this.readTensor(name)).data as Float32Array;
  }

  /** Closes the file handle; returns once it is closed. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
