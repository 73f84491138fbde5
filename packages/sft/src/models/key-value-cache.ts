import * as tf from '@tensorflow/tfjs';

/** One layer's cached keys and values, [B, Hkv, L, D] each (after RoPE for Llama). */
export interface LayerCache {
  keys: tf.Tensor4D;
  values: tf.Tensor4D;
}

/**
 * The keys and values of every layer for the tokens seen so far, with a key mask [B, L] (1 = a real
 * token, 0 = padding between a short prompt and its generated tokens) and each row's next position.
 */
export class KeyValueCache {
  layers: LayerCache[] = [];
  keyMask: tf.Tensor2D | undefined;
  /** The RoPE/learned position of each row's next token. */
  nextPositions: number[] = [];

  /** Returns the number of cached key slots (L). */
  get length(): number {
    return this.keyMask?.shape[1] ?? 0;
  }

  /** Appends the new keys/values of a layer (kept out of tf.tidy by the caller). */
  append(layer: number, keys: tf.Tensor4D, values: tf.Tensor4D): void {
    const previous = this.layers[layer];
    if (!previous) {
      this.layers[layer] = { keys: tf.keep(keys), values: tf.keep(values) };
      return;
    }
    this.layers[layer] = { keys: tf.keep(tf.concat([previous.keys, keys], 2)), values: tf.keep(tf.concat([previous.values, values], 2)) };
    previous.keys.dispose();
    previous.values.dispose();
  }

  /** Appends the key mask of new tokens [B, T]. */
  appendMask(mask: tf.Tensor2D): void {
    const previous = this.keyMask;
    this.keyMask = tf.keep(previous ? tf.concat([previous, mask], 1) : mask.clone());
    previous?.dispose();
  }

  /** Returns the number of rows (B). */
  get rows(): number {
    return this.keyMask?.shape[0] ?? 0;
  }

  /**
   * Keeps only `rows` (in that order) of every layer, the key mask and the positions: a request leaving a
   * running batch (continuous batching). An empty list empties the cache.
   */
  selectRows(rows: readonly number[]): void {
    if (rows.length === 0 || !this.keyMask) {
      const positions = rows.map((row) => this.nextPositions[row]!);
      this.dispose();
      this.nextPositions = positions;
      return;
    }
    const index = tf.tensor1d(rows as number[], 'int32');
    this.layers = this.layers.map((layer) => {
      const kept = { keys: tf.keep(tf.gather(layer.keys, index)), values: tf.keep(tf.gather(layer.values, index)) };
      layer.keys.dispose();
      layer.values.dispose();
      return kept;
    });
    const mask = this.keyMask;
    this.keyMask = tf.keep(tf.gather(mask, index));
    mask.dispose();
    index.dispose();
    this.nextPositions = rows.map((row) => this.nextPositions[row]!);
  }

  /**
   * Appends the rows of `other` (a cache of the same model) after this cache's rows: requests joining a
   * running batch. The cache with fewer key slots is padded in front with masked zero slots (positions are
   * explicit, so slot order does not matter to attention). `other` is emptied.
   */
  appendRows(other: KeyValueCache): void {
    if (!other.keyMask) return;
    if (!this.keyMask) {
      this.layers = other.layers;
      this.keyMask = other.keyMask;
      this.nextPositions = other.nextPositions;
    } else {
      const length = Math.max(this.length, other.length);
      const pad4 = (tensor: tf.Tensor4D) =>
        tensor.shape[2] === length
          ? tensor
          : tf.pad(tensor, [
              [0, 0],
              [0, 0],
              [length - tensor.shape[2], 0],
              [0, 0],
            ]);
      const pad2 = (tensor: tf.Tensor2D) =>
        tensor.shape[1] === length
          ? tensor
          : tf.pad(tensor, [
              [0, 0],
              [length - tensor.shape[1], 0],
            ]);
      this.layers = this.layers.map((layer, index) => {
        const added = other.layers[index]!;
        const joined = tf.tidy(() => ({
          keys: tf.concat([pad4(layer.keys), pad4(added.keys)], 0),
          values: tf.concat([pad4(layer.values), pad4(added.values)], 0),
        }));
        for (const tensor of [layer.keys, layer.values, added.keys, added.values]) tensor.dispose();
        return { keys: tf.keep(joined.keys), values: tf.keep(joined.values) };
      });
      const mask = tf.tidy(() => tf.concat([pad2(this.keyMask!), pad2(other.keyMask!)], 0));
      this.keyMask.dispose();
      other.keyMask.dispose();
      this.keyMask = tf.keep(mask);
      this.nextPositions = [...this.nextPositions, ...other.nextPositions];
    }
    other.layers = [];
    other.keyMask = undefined;
    other.nextPositions = [];
  }

  /** Drops the key slots no row uses (masked in every row), which rows that left or joined late leave behind; returns how many. */
  async compact(): Promise<number> {
    if (!this.keyMask) return 0;
    const [B, L] = this.keyMask.shape;
    const mask = await this.keyMask.data();
    const used: number[] = [];
    for (let slot = 0; slot < L; slot++) {
      for (let row = 0; row < B; row++) {
        if (mask[row * L + slot] !== 0) {
          used.push(slot);
          break;
        }
      }
    }
    if (used.length === L) return 0;
    const index = tf.tensor1d(used, 'int32');
    this.layers = this.layers.map((layer) => {
      const kept = { keys: tf.keep(tf.gather(layer.keys, index, 2)), values: tf.keep(tf.gather(layer.values, index, 2)) };
      layer.keys.dispose();
      layer.values.dispose();
      return kept;
    });
    const previous = this.keyMask;
    this.keyMask = tf.keep(tf.gather(previous, index, 1));
    previous.dispose();
    index.dispose();
    return L - used.length;
  }

  /** Frees every cached tensor. */
  dispose(): void {
    for (const layer of this.layers) {
      layer.keys.dispose();
      layer.values.dispose();
    }
    this.layers = [];
    this.keyMask?.dispose();
    this.keyMask = undefined;
  }
}
