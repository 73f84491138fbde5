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
