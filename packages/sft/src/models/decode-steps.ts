import * as tf from '@tensorflow/tfjs';
import { readRows } from '../backend/read-tensor';
import type { DecoderModel } from './decoder-model';
import type { KeyValueCache } from './key-value-cache';

/**
 * Returns the next-token logits [B, V] of each prompt after prefilling them into `cache`: prompts are
 * right-padded to the longest, with a key mask over the padding, and each row's logits are read at its
 * own last token. The caller sets `cache.nextPositions` (each row continues from its own length).
 */
export function prefillLogits(model: DecoderModel, prompts: readonly (readonly number[])[], cache: KeyValueCache): tf.Tensor2D {
  const B = prompts.length;
  const lengths = prompts.map((prompt) => prompt.length);
  const longest = Math.max(...lengths);
  return tf.tidy(() => {
    const ids = tf.tensor2d(
      prompts.map((prompt) => [...prompt, ...new Array<number>(longest - prompt.length).fill(0)]),
      [B, longest],
      'int32',
    );
    const keyMask = tf.tensor2d(
      prompts.map((prompt) => Array.from({ length: longest }, (_, t) => (t < prompt.length ? 1 : 0))),
      [B, longest],
    );
    const hidden = model.hidden({ ids, keyMask, cache });
    const last = tf.gather(
      hidden,
      lengths.map((length, row) => row * longest + length - 1),
    );
    return tf.matMul(last, model.outputEmbedding(), false, true) as tf.Tensor2D;
  });
}

/** Returns the next-token logits [B, V] after feeding one token per row through `cache`. */
export function stepLogits(model: DecoderModel, tokens: readonly number[], cache: KeyValueCache): tf.Tensor2D {
  return tf.tidy(() => {
    const ids = tf.tensor2d(
      tokens.map((token) => [token]),
      [tokens.length, 1],
      'int32',
    );
    const hidden = model.hidden({ ids, cache });
    return tf.matMul(hidden, model.outputEmbedding(), false, true) as tf.Tensor2D;
  });
}

/** Resolves to the rows of a [B, V] logits tensor (read asynchronously, GPU errors checked) and disposes it. */
export async function readLogitRows(logits: tf.Tensor2D): Promise<Float32Array[]> {
  try {
    return await readRows(logits, 'decoding');
  } finally {
    logits.dispose();
  }
}
