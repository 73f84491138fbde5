import * as tf from '@tensorflow/tfjs';
import { readRows } from '../backend/read-tensor';
import type { DecodeSession } from './decode-session';
import type { DecoderModel } from './decoder-model';
import { KeyValueCache } from './key-value-cache';

/** Resolves to the rows of a [B, V] logits tensor (read asynchronously, GPU errors checked) and disposes it. */
async function readLogitRows(logits: tf.Tensor2D): Promise<Float32Array[]> {
  try {
    return await readRows(logits, 'decoding');
  } finally {
    logits.dispose();
  }
}

/**
 * The tfjs decode: the model's forward pass on the current tfjs backend with a {@link KeyValueCache}
 * of tensors. Prompts are right-padded for the prefill; each row then continues from its own
 * position, with a key mask over the padding gap.
 */
export class TfjsDecodeSession implements DecodeSession {
  /** {@inheritDoc DecodeSession.maxPositions} */
  readonly maxPositions: number;
  readonly #model: DecoderModel;
  readonly #cache = new KeyValueCache();

  constructor(model: DecoderModel) {
    this.#model = model;
    this.maxPositions = model.config.maxPositionEmbeddings;
  }

  /** {@inheritDoc DecodeSession.prefill} */
  async prefill(prompts: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const model = this.#model;
    const B = prompts.length;
    const lengths = prompts.map((prompt) => prompt.length);
    const longest = Math.max(...lengths);
    const rows = await readLogitRows(
      tf.tidy(() => {
        const ids = tf.tensor2d(
          prompts.map((prompt) => [...prompt, ...new Array<number>(longest - prompt.length).fill(0)]),
          [B, longest],
          'int32',
        );
        const keyMask = tf.tensor2d(
          prompts.map((prompt) => Array.from({ length: longest }, (_, t) => (t < prompt.length ? 1 : 0))),
          [B, longest],
        );
        const hidden = model.hidden({ ids, keyMask, cache: this.#cache });
        const last = tf.gather(
          hidden,
          lengths.map((length, row) => row * longest + length - 1),
        );
        return tf.matMul(last, model.outputEmbedding(), false, true) as tf.Tensor2D;
      }),
    );
    this.#cache.nextPositions = lengths.map((length) => Math.min(length, this.maxPositions - 1));
    return rows;
  }

  /** {@inheritDoc DecodeSession.step} */
  async step(tokens: readonly (number | undefined)[]): Promise<Float32Array[]> {
    const model = this.#model;
    const rows = await readLogitRows(
      tf.tidy(() => {
        const ids = tf.tensor2d(
          tokens.map((token) => [token ?? 0]),
          [tokens.length, 1],
          'int32',
        );
        const hidden = model.hidden({ ids, cache: this.#cache });
        return tf.matMul(hidden, model.outputEmbedding(), false, true) as tf.Tensor2D;
      }),
    );
    // Finished rows are fed a filler token whose output is ignored; keep them inside the model's positions.
    this.#cache.nextPositions = this.#cache.nextPositions.map((position) => Math.min(position + 1, this.maxPositions - 1));
    return rows;
  }

  /** {@inheritDoc DecodeSession.dispose} */
  dispose(): void {
    this.#cache.dispose();
  }
}
