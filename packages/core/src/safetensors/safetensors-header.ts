import { ModelFormatError } from '../errors';
import { bytesPerElement, elementCount, isSafetensorsDtype, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-dtype';

/** The largest header this package accepts (the reference implementation caps it at 100 MB too). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Where one tensor lives in a safetensors file. */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Offset of the first byte of the tensor, from the start of the FILE. */
  fileOffset: number;
  /** Length of the tensor in bytes (element count × bytes per element). */
  byteLength: number;
}

/** A validated safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` string map, empty when the file has none. */
  metadata: Record<string, string>;
  /** The tensors in data-section order. */
  tensors: SafetensorsTensorInfo[];
  /** Length of the JSON header in bytes (the N of the 8-byte prefix). */
  headerLength: number;
}

/**
 * Returns the header length N announced by the 8-byte prefix, after checking it fits in a file of
 * `fileSize` bytes and under {@link MAX_SAFETENSORS_HEADER_BYTES}.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new ModelFormatError(`truncated safetensors file: ${fileSize} bytes, shorter than the 8-byte header length prefix`, {
      file,
      hint: 'the file was cut short while copying or downloading; fetch it again',
    });
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    throw new ModelFormatError(`bad safetensors header length ${length} bytes, above the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`, {
      file,
      hint: 'this is not a safetensors file, or its first 8 bytes are corrupt',
    });
  }
  const headerLength = Number(length);
  if (headerLength > fileSize - 8) {
    throw new ModelFormatError(`safetensors header length ${headerLength} is bigger than the file (${fileSize} bytes)`, {
      file,
      hint: 'the file is truncated or is not a safetensors file',
    });
  }
  if (headerLength < 2) {
    throw new ModelFormatError(`bad safetensors header length ${headerLength}: a header is at least "{}"`, { file });
  }
  return headerLength;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseMetadata(value: unknown, file: string): Record<string, string> {
  if (!isPlainObject(value)) {
    throw new ModelFormatError('bad safetensors header: "__metadata__" must be an object of strings', { file, field: '__metadata__' });
  }
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new ModelFormatError(`bad safetensors header: metadata value "${key}" is ${typeof entry}, not a string`, {
        file,
        field: `__metadata__.${key}`,
      });
    }
    metadata[key] = entry;
  }
  return metadata;
}

interface RawEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function parseEntry(name: string, value: unknown, file: string): RawEntry {
  const fail = (what: string): never => {
    throw new ModelFormatError(`bad safetensors header for tensor "${name}": ${what}`, { file, field: name });
  };
  if (!isPlainObject(value)) return fail('the entry must be an object {dtype, shape, data_offsets}');
  for (const key of Object.keys(value)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail(`unexpected key "${key}"`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isSafetensorsDtype(dtype)) {
    return fail(`dtype ${JSON.stringify(dtype)} is not supported (supported: ${SAFETENSORS_DTYPES.join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((dimension) => Number.isSafeInteger(dimension) && (dimension as number) >= 0)) {
    return fail(`shape ${JSON.stringify(shape)} must be an array of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    return fail(`data_offsets ${JSON.stringify(offsets)} must be [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const count = elementCount(shape as number[]);
  const expected = count * bytesPerElement(dtype);
  if (!Number.isSafeInteger(expected) || expected !== end - begin) {
    fail(
      `misshapen tensor: ${dtype} shape [${(shape as number[]).join(', ')}] needs ${expected} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/**
 * Returns the validated header parsed from its JSON bytes: known dtypes, sizes matching shapes, and
 * byte ranges that tile the data section (`dataLength` bytes) from 0 with no overlap and no gap.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, dataLength: number, file: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch (cause) {
    throw new ModelFormatError('bad safetensors header: not valid UTF-8', { file, cause });
  }
  if (!text.startsWith('{')) {
    throw new ModelFormatError('bad safetensors header: it must start with "{"', {
      file,
      hint: 'this is not a safetensors file (or the length prefix is wrong)',
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ModelFormatError(`bad safetensors header: invalid JSON (${(cause as Error).message})`, { file, cause });
  }
  if (!isPlainObject(parsed)) throw new ModelFormatError('bad safetensors header: the JSON must be an object', { file });

  let metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  const entries: RawEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = parseMetadata(value, file);
    else entries.push(parseEntry(name, value, file));
  }
  entries.sort((left, right) => left.begin - right.begin || left.end - right.end);

  let position = 0;
  let previous: RawEntry | undefined;
  for (const entry of entries) {
    if (entry.begin < position) {
      throw new ModelFormatError(
        `overlapping tensors: "${entry.name}" [${entry.begin}, ${entry.end}] overlaps "${previous!.name}" [${previous!.begin}, ${previous!.end}]`,
        { file, field: entry.name, hint: 'the header is corrupt; re-export the checkpoint' },
      );
    }
    if (entry.begin > position) {
      throw new ModelFormatError(`gap in the data section: bytes [${position}, ${entry.begin}) before tensor "${entry.name}" belong to no tensor`, {
        file,
        field: entry.name,
        hint: 'the header is corrupt; re-export the checkpoint',
      });
    }
    if (entry.end > dataLength) {
      throw new ModelFormatError(
        `truncated safetensors file: tensor "${entry.name}" ends at data byte ${entry.end} but the data section holds ${dataLength} bytes`,
        { file, field: entry.name, hint: 'the file was cut short while copying or downloading; fetch it again' },
      );
    }
    position = entry.end;
    previous = entry;
  }
  if (position !== dataLength) {
    throw new ModelFormatError(
      `the data section holds ${dataLength} bytes but the tensors cover only ${position}: ${dataLength - position} trailing bytes belong to no tensor`,
      { file, hint: 'the header is corrupt or the file has garbage appended' },
    );
  }

  const dataStart = 8 + headerBytes.byteLength;
  return {
    metadata,
    headerLength: headerBytes.byteLength,
    tensors: entries.map((entry) => ({
      name: entry.name,
      dtype: entry.dtype,
      shape: entry.shape,
      fileOffset: dataStart + entry.begin,
      byteLength: entry.end - entry.begin,
    })),
  };
}
