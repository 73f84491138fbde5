/**
 * Batches of tokenized examples for training. Shape legend: B rows, T time. Two layouts: padded
 * batches of similar lengths (length buckets), or packed rows holding several records each, with
 * segment ids so attention never crosses records and positions restarting per record.
 */
import { shuffleInPlace } from '@steerlm/core';
import type { TokenizedExample } from './loss-mask';

export interface TrainingBatch {
  B: number;
  T: number;
  /** Input ids [B*T]. */
  ids: Int32Array;
  /** Next-token targets [B*T]. */
  targets: Int32Array;
  /** 1 where the target is trained [B*T]. */
  lossMask: Float32Array;
  /** 1 for real tokens, 0 for padding [B*T]. */
  keyMask: Float32Array;
  /** Record index within its row [B*T] (padding: -1). */
  segmentIds: Int32Array;
  /** Position of each token within its record [B*T]. */
  positions: Int32Array;
  /** How many targets are trained. */
  trainedTokens: number;
  /** Indexes (into the dataset) of the examples in this batch. */
  examples: number[];
}

/** Returns a seeded Fisher-Yates permutation of 0..count-1. */
export function shuffledIndexes(count: number, random: () => number): number[] {
  return shuffleInPlace(
    Array.from({ length: count }, (_, index) => index),
    random,
  );
}

/** Returns a [B, T] batch of `examples` with nothing placed yet: all padding (segment ids -1), no trained tokens. */
export function emptyBatch(B: number, T: number, examples: number[]): TrainingBatch {
  const size = B * T;
  return {
    B,
    T,
    ids: new Int32Array(size),
    targets: new Int32Array(size),
    lossMask: new Float32Array(size),
    keyMask: new Float32Array(size),
    segmentIds: new Int32Array(size).fill(-1),
    positions: new Int32Array(size),
    trainedTokens: 0,
    examples,
  };
}

function place(batch: TrainingBatch, row: number, offset: number, example: TokenizedExample, segment: number): void {
  const base = row * batch.T + offset;
  const length = example.ids.length;
  for (let t = 0; t < length; t++) {
    batch.ids[base + t] = example.ids[t]!;
    batch.keyMask[base + t] = 1;
    batch.segmentIds[base + t] = segment;
    batch.positions[base + t] = t;
    if (t + 1 < length) {
      batch.targets[base + t] = example.ids[t + 1]!;
      if (example.trained[t + 1]) {
        batch.lossMask[base + t] = 1;
        batch.trainedTokens++;
      }
    }
  }
}

/**
 * Returns padded batches of `batchSize` examples: the order is shuffled, then examples are sorted by
 * length inside windows of `batchSize * bucketWindow` so a batch holds similar lengths; T is the
 * batch's longest example rounded up to a multiple of `padTo`.
 */
export function bucketBatches(
  examples: readonly TokenizedExample[],
  options: { batchSize: number; random: () => number; bucketWindow?: number; padTo?: number },
): TrainingBatch[] {
  const order = shuffledIndexes(examples.length, options.random);
  const window = options.batchSize * (options.bucketWindow ?? 16);
  const batches: TrainingBatch[] = [];
  for (let start = 0; start < order.length; start += window) {
    const chunk = order.slice(start, start + window).sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length);
    for (let first = 0; first < chunk.length; first += options.batchSize) {
      const members = chunk.slice(first, first + options.batchSize);
      const longest = Math.max(...members.map((index) => examples[index]!.ids.length));
      const padTo = options.padTo ?? 8;
      const batch = emptyBatch(members.length, Math.ceil(longest / padTo) * padTo, members);
      members.forEach((index, row) => place(batch, row, 0, examples[index]!, 0));
      batches.push(batch);
    }
  }
  return shuffledIndexes(batches.length, options.random).map((index) => batches[index]!);
}

/**
 * Returns batches of `batchSize` rows of length `sequenceLength`, each row packed with whole records
 * (first fit in shuffled order); attention must use `segmentIds` so records never see each other.
 */
export function packedBatches(
  examples: readonly TokenizedExample[],
  options: { batchSize: number; sequenceLength: number; random: () => number },
): TrainingBatch[] {
  const order = shuffledIndexes(examples.length, options.random);
  const rows: number[][] = [];
  const used: number[] = [];
  for (const index of order) {
    const length = Math.min(examples[index]!.ids.length, options.sequenceLength);
    let row = used.findIndex((filled) => filled + length <= options.sequenceLength);
    if (row === -1) {
      rows.push([]);
      used.push(0);
      row = rows.length - 1;
    }
    rows[row]!.push(index);
    used[row]! += length;
  }
  const batches: TrainingBatch[] = [];
  for (let first = 0; first < rows.length; first += options.batchSize) {
    const members = rows.slice(first, first + options.batchSize);
    const batch = emptyBatch(members.length, options.sequenceLength, members.flat());
    members.forEach((row, rowIndex) => {
      let offset = 0;
      row.forEach((index, segment) => {
        const example = examples[index]!;
        const clipped =
          example.ids.length > options.sequenceLength
            ? { ...example, ids: example.ids.slice(0, options.sequenceLength), trained: example.trained.slice(0, options.sequenceLength) }
            : example;
        place(batch, rowIndex, offset, clipped, segment);
        offset += clipped.ids.length;
      });
    });
    batches.push(batch);
  }
  return batches;
}
