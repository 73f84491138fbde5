import { basename, dirname, join } from 'node:path';
import { encodeOnnxModelParts, InvalidOptionError, type ExternalDataPlacer, type OnnxModel } from '@steerlm/core';
import { writeAll, writeFileAtomically } from '@steerlm/core/node';

/** Options of {@link writeOnnxModel}. */
export interface WriteOnnxModelOptions {
  /**
   * Keep large initializers in a side file beside the model (needed above 2 GiB): `fileName` is a bare
   * name in the model's folder; tensors of at least `minimumBytes` (default 1024) go there, 64-byte aligned.
   */
  externalData?: { fileName: string; minimumBytes?: number };
}

/** What {@link writeOnnxModel} wrote. */
export interface OnnxWriteResult {
  modelBytes: number;
  /** Bytes in the external data file (0 when none was written). */
  externalBytes: number;
}

const ALIGNMENT = 64;

/**
 * Writes `model` to `path` as an ONNX file, streaming the serialized chunks, atomically; with
 * `externalData`, large initializers go to a side file (written first, also atomically). Returns the sizes.
 */
export async function writeOnnxModel(path: string, model: OnnxModel, options: WriteOnnxModelOptions = {}): Promise<OnnxWriteResult> {
  const external = options.externalData;
  const placed: Uint8Array[] = [];
  let externalBytes = 0;
  let placer: ExternalDataPlacer | undefined;
  if (external !== undefined) {
    const { fileName } = external;
    if (fileName.length === 0 || fileName !== basename(fileName) || fileName === basename(path)) {
      throw new InvalidOptionError(`externalData.fileName must be a bare file name other than the model's, got ${JSON.stringify(fileName)}`, {
        option: 'externalData',
      });
    }
    const minimumBytes = external.minimumBytes ?? 1024;
    placer = (_tensor, bytes) => {
      if (bytes.byteLength < minimumBytes) return undefined;
      const padding = (ALIGNMENT - (externalBytes % ALIGNMENT)) % ALIGNMENT;
      if (padding > 0) placed.push(new Uint8Array(padding));
      const offset = externalBytes + padding;
      placed.push(bytes);
      externalBytes = offset + bytes.byteLength;
      return { location: fileName, offset, length: bytes.byteLength };
    };
  }
  const writer = encodeOnnxModelParts(model, placer);
  if (external !== undefined && placed.length > 0) {
    await writeFileAtomically(join(dirname(path), external.fileName), async (handle) => {
      for (const chunk of placed) await writeAll(handle, chunk);
    });
  }
  await writeFileAtomically(path, async (handle) => {
    for (const chunk of writer.parts()) await writeAll(handle, chunk);
  });
  return { modelBytes: writer.byteLength, externalBytes };
}
