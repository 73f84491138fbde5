import { InvalidOptionError } from '@steerlm/core';
import type { BatchingDecodeSession } from './decode-session';
import type { DecoderModel } from './decoder-model';
import { prefillLogits, readLogitRows, stepLogits } from './decode-steps';
import { KeyValueCache } from './key-value-cache';

/**
 * The tfjs decode: the model's forward pass on the current tfjs backend with a {@link KeyValueCache}
 * of tensors. Prompts are right-padded for the prefill; each row then continues from its own
 * position, with a key mask over the padding gap.
 */
export class TfjsDecodeSession implements BatchingDecodeSession {
  /** {@inheritDoc DecodeSession.maxPositions} */
  readonly maxPositions: number;
  readonly #model: DecoderModel;
  readonly #cache = new KeyValueCache();

  constructor(model: DecoderModel) {
    this.#model = model;
    this.maxPositions = model.config.maxPositionEmbeddings;
  }

  /** {@inheritDoc BatchingDecodeSession.rows} */
  get rows(): number {
    return this.#cache.rows;
  }

  /** {@inheritDoc BatchingDecodeSession.keySlots} */
  get keySlots(): number {
    return this.#cache.length;
  }

  /** {@inheritDoc DecodeSession.prefill} */
  async prefill(prompts: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const rows = await readLogitRows(prefillLogits(this.#model, prompts, this.#cache));
    this.#cache.nextPositions = prompts.map((prompt) => Math.min(prompt.length, this.maxPositions - 1));
    return rows;
  }

  /** {@inheritDoc DecodeSession.step} */
  async step(tokens: readonly (number | undefined)[]): Promise<Float32Array[]> {
    const rows = await readLogitRows(
      stepLogits(
        this.#model,
        tokens.map((token) => token ?? 0),
        this.#cache,
      ),
    );
    // Finished rows are fed a filler token whose output is ignored; keep them inside the model's positions.
    this.#cache.nextPositions = this.#cache.nextPositions.map((position) => Math.min(position + 1, this.maxPositions - 1));
    return rows;
  }

  /** {@inheritDoc BatchingDecodeSession.spawn} */
  spawn(): TfjsDecodeSession {
    return new TfjsDecodeSession(this.#model);
  }

  /** {@inheritDoc BatchingDecodeSession.appendRows} */
  async appendRows(other: BatchingDecodeSession): Promise<void> {
    if (!(other instanceof TfjsDecodeSession) || other.#model !== this.#model) {
      throw new InvalidOptionError('appendRows needs a session spawned from this one (same engine and model)', { option: 'session' });
    }
    this.#cache.appendRows(other.#cache);
    other.dispose();
  }

  /** {@inheritDoc BatchingDecodeSession.selectRows} */
  async selectRows(rows: readonly number[]): Promise<void> {
    this.#cache.selectRows(rows);
    await this.#cache.compact();
  }

  /** {@inheritDoc DecodeSession.dispose} */
  dispose(): void {
    this.#cache.dispose();
  }
}
