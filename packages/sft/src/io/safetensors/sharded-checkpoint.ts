import { mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { entryByteLength, InvalidOptionError, ModelFormatError, type SafetensorsTensor, type SafetensorsTensorInfo } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { missingTensorError } from './missing-tensor';
import { SafetensorsReader } from './safetensors-reader';
import { writeSafetensors, type SafetensorsWriteEntry } from './safetensors-writer';

/** The file name of a single-file checkpoint in a Hugging Face model folder. */
export const SINGLE_CHECKPOINT_FILE = 'model.safetensors';
/** The file name of the index of a sharded checkpoint. */
export const SHARDED_INDEX_FILE = 'model.safetensors.index.json';
/** The largest index file read (real indexes are well under 1 MB). */
const MAX_INDEX_BYTES = 64_000_000;

/** The parsed `model.safetensors.index.json`: free metadata and which shard holds each tensor. */
export interface ShardedIndex {
  metadata: Record<string, unknown>;
  /** Tensor name → shard file name (a bare file name inside the checkpoint folder). */
  weightMap: Map<string, string>;
}

/** Returns the index of a sharded checkpoint parsed and validated from the JSON text of `file`. */
export function parseShardedIndex(text: string, file: string): ShardedIndex {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ModelFormatError(`invalid JSON in sharded checkpoint index (${(cause as Error).message})`, { file, cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ModelFormatError('a sharded checkpoint index must be a JSON object {metadata, weight_map}', { file });
  }
  const { metadata = {}, weight_map: weightMap } = parsed as Record<string, unknown>;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new ModelFormatError('"metadata" must be an object', { file, field: 'metadata' });
  }
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ModelFormatError('"weight_map" must be an object mapping tensor names to shard files', { file, field: 'weight_map' });
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || shard.length === 0 || shard !== basename(shard) || shard === '.' || shard === '..' || !shard.endsWith('.safetensors')) {
      throw new ModelFormatError(`weight_map entry for tensor "${name}" must be a bare *.safetensors file name, got ${JSON.stringify(shard)}`, {
        file,
        field: `weight_map.${name}`,
        hint: 'shards must sit in the same folder as the index',
      });
    }
    map.set(name, shard);
  }
  if (map.size === 0) throw new ModelFormatError('"weight_map" is empty', { file, field: 'weight_map' });
  return { metadata: metadata as Record<string, unknown>, weightMap: map };
}

/** Returns the index of the sharded checkpoint at `path`, read and validated. */
export async function readShardedIndex(path: string): Promise<ShardedIndex> {
  const { size } = await stat(path);
  if (size > MAX_INDEX_BYTES) throw new ModelFormatError(`sharded checkpoint index is ${size} bytes, above the ${MAX_INDEX_BYTES}-byte limit`, { file: path });
  return parseShardedIndex(await readFile(path, 'utf8'), path);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (stats) => stats.isFile(),
    () => false,
  );
}

/**
 * A checkpoint of one or several safetensors files opened for lazy reading: a folder holding
 * `model.safetensors` or `model.safetensors.index.json` plus shards, or a single `.safetensors` file.
 * Call `close()`.
 */
export class SafetensorsCheckpoint {
  private constructor(
    /** The folder or file the checkpoint was opened from. */
    readonly path: string,
    private readonly readers: SafetensorsReader[],
    private readonly owner: Map<string, SafetensorsReader>,
    /** The index metadata (sharded) or the file's `__metadata__` (single file). */
    readonly metadata: Readonly<Record<string, unknown>>,
  ) {}

  /** Returns the checkpoint at `path` (folder or file) with every shard's header validated against the index. */
  static async open(path: string): Promise<SafetensorsCheckpoint> {
    const stats = await stat(path).catch((cause: unknown) => {
      throw new ModelFormatError(`cannot open checkpoint (${(cause as Error).message})`, { file: path, cause });
    });
    if (stats.isFile()) {
      const reader = await SafetensorsReader.open(path);
      return new SafetensorsCheckpoint(path, [reader], new Map(reader.tensorNames().map((name) => [name, reader])), reader.metadata);
    }
    const indexPath = join(path, SHARDED_INDEX_FILE);
    if (!(await exists(indexPath))) {
      const single = join(path, SINGLE_CHECKPOINT_FILE);
      if (await exists(single)) {
        const reader = await SafetensorsReader.open(single);
        return new SafetensorsCheckpoint(path, [reader], new Map(reader.tensorNames().map((name) => [name, reader])), reader.metadata);
      }
      throw new ModelFormatError(`no ${SINGLE_CHECKPOINT_FILE} or ${SHARDED_INDEX_FILE} in the folder`, {
        file: path,
        hint: 'point at a Hugging Face model folder holding safetensors weights',
      });
    }
    const index = await readShardedIndex(indexPath);
    const readers = new Map<string, SafetensorsReader>();
    try {
      for (const shard of new Set(index.weightMap.values())) readers.set(shard, await SafetensorsReader.open(join(path, shard)));
      const owner = new Map<string, SafetensorsReader>();
      for (const [name, shard] of index.weightMap) {
        const reader = readers.get(shard)!;
        if (!reader.has(name)) {
          throw new ModelFormatError(`missing tensor "${name}": the index places it in ${shard}, which does not hold it`, {
            file: reader.path,
            field: name,
            hint: 'the shards and the index come from different exports',
          });
        }
        owner.set(name, reader);
      }
      for (const reader of readers.values()) {
        for (const name of reader.tensorNames()) {
          if (!owner.has(name)) {
            throw new ModelFormatError(`tensor "${name}" is in the shard but missing from the index weight_map`, {
              file: indexPath,
              field: `weight_map.${name}`,
            });
          }
        }
      }
      return new SafetensorsCheckpoint(path, [...readers.values()], owner, index.metadata);
    } catch (error) {
      await Promise.all([...readers.values()].map((reader) => reader.close()));
      throw error;
    }
  }

  /** Returns every tensor name, shard by shard in data order. */
  tensorNames(): string[] {
    return [...this.owner.keys()];
  }

  /** Returns true when the checkpoint holds a tensor called `name`. */
  has(name: string): boolean {
    return this.owner.has(name);
  }

  private readerOf(name: string): SafetensorsReader {
    const reader = this.owner.get(name);
    if (reader === undefined) throw missingTensorError(name, this.path, this.owner.size, 'checkpoint');
    return reader;
  }

  /** Returns the dtype, shape and location of tensor `name`. */
  info(name: string): SafetensorsTensorInfo & { file: string } {
    const reader = this.readerOf(name);
    return { ...reader.info(name), file: reader.path };
  }

  /** Returns tensor `name` decoded to its typed array. */
  async readTensor(name: string): Promise<SafetensorsTensor> {
    return this.readerOf(name).readTensor(name);
  }

  /** Returns float tensor `name` as a Float32Array, checking `expectedShape` when given. */
  async readFloat32(name: string, expectedShape?: readonly number[]): Promise<Float32Array> {
    return this.readerOf(name).readFloat32(name, expectedShape);
  }

  /** Closes every shard; returns once all are closed. */
  async close(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.close()));
  }
}

/** Options of {@link writeShardedSafetensors}. */
export interface WriteShardedOptions {
  /** Largest data size of one shard in bytes (a single tensor bigger than this gets a shard of its own). Default 5 GB. */
  maxShardBytes?: number;
  /** `__metadata__` of every shard; default `{ format: 'pt' }`. */
  metadata?: Record<string, string>;
}

/** What {@link writeShardedSafetensors} wrote. */
export interface ShardedWriteResult {
  /** The shard file names, in order. */
  files: string[];
  /** Sum of the tensors' byte lengths. */
  totalSize: number;
  /** The index file path, or undefined when everything fitted one `model.safetensors`. */
  indexPath: string | undefined;
}

/**
 * Writes `entries` into `folder` as `model.safetensors`, or, when they exceed `maxShardBytes`, as
 * `model-0000i-of-0000n.safetensors` shards plus `model.safetensors.index.json` (Hugging Face layout),
 * each file atomically and the index last (`folder` is created when missing). Returns the files written and the total tensor size.
 */
export async function writeShardedSafetensors(
  folder: string,
  entries: readonly SafetensorsWriteEntry[],
  options: WriteShardedOptions = {},
): Promise<ShardedWriteResult> {
  const maxShardBytes = options.maxShardBytes ?? 5_000_000_000;
  if (!Number.isFinite(maxShardBytes) || maxShardBytes <= 0) {
    throw new InvalidOptionError(`maxShardBytes must be a positive number, got ${maxShardBytes}`, { option: 'maxShardBytes' });
  }
  const metadata = options.metadata ?? { format: 'pt' };
  const groups: SafetensorsWriteEntry[][] = [];
  let current: SafetensorsWriteEntry[] = [];
  let currentBytes = 0;
  let totalSize = 0;
  const names = new Set<string>();
  for (const entry of entries) {
    const length = entryByteLength(entry);
    if (names.has(entry.name)) throw new InvalidOptionError(`duplicate tensor name "${entry.name}"`, { option: 'name' });
    names.add(entry.name);
    if (current.length > 0 && currentBytes + length > maxShardBytes) {
      groups.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += length;
    totalSize += length;
  }
  groups.push(current);

  await mkdir(folder, { recursive: true });
  if (groups.length === 1) {
    await writeSafetensors(join(folder, SINGLE_CHECKPOINT_FILE), groups[0]!, { metadata });
    return { files: [SINGLE_CHECKPOINT_FILE], totalSize, indexPath: undefined };
  }
  const count = String(groups.length).padStart(5, '0');
  const files = groups.map((_, index) => `model-${String(index + 1).padStart(5, '0')}-of-${count}.safetensors`);
  const weightMap: Record<string, string> = {};
  for (const [index, group] of groups.entries()) {
    await writeSafetensors(join(folder, files[index]!), group, { metadata });
    for (const entry of group) Object.defineProperty(weightMap, entry.name, { value: files[index], enumerable: true });
  }
  const indexPath = join(folder, SHARDED_INDEX_FILE);
  const text = `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`;
  await writeTextFileAtomically(indexPath, text);
  return { files, totalSize, indexPath };
}
