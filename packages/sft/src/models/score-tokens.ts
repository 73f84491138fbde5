import * as tf from '@tensorflow/tfjs';
import { ContextLengthError, type Tokenizer } from '@steerlm/core';
import { readFloat32, readTensor } from '../backend/read-tensor';
import type { DecoderModel } from './decoder-model';

/** One alternative at a position: a token and its log-probability there. */
export interface TokenAlternative {
  /** The token's id in the tokenizer's vocabulary. */
  readonly id: number;
  /** The token decoded alone, or `token_id:<id>` when alone it is no valid text (a byte of a multi-byte character). */
  readonly text: string;
  /** log P(this token | the tokens before the position). */
  readonly logProbability: number;
}

/** One token of a scored text. */
export interface ScoredToken {
  /** The token's id in the tokenizer's vocabulary. */
  readonly id: number;
  /** The characters of the text this token covers (the tokens' texts join to the whole text). */
  readonly text: string;
  /** The character offset in the text where the token begins. */
  readonly offset: number;
  /** The token decoded alone, as in `TokenAlternative.text` (it may differ from `text`, e.g. a SentencePiece word start). */
  readonly piece: string;
  /** log P(token | the tokens before it); null for the first token, which nothing predicts. */
  readonly logProbability: number | null;
  /** The `topLogprobs` most likely tokens at this position, best first; null for the first token or when none were asked for. */
  readonly top: readonly TokenAlternative[] | null;
}

/** Options of `scoreTokens`. */
export interface ScoreTokensOptions {
  /** How many of the most likely tokens to report at each position (default 0: none). */
  readonly topLogprobs?: number;
}

/** Returns the end of the code point at `index` of `text`. */
function codePointEnd(text: string, index: number): number {
  const point = text.codePointAt(index);
  return Math.min(text.length, index + (point !== undefined && point > 0xffff ? 2 : 1));
}

/**
 * Returns the character offset where each token of `ids` (the encoding of `text`) begins: the length of
 * the decoded tokens before it. A token that begins inside a character (a byte of a multi-byte character)
 * begins after that character, so a token counts as lying before offset c exactly when TokenBoundaries
 * says so. Offsets never decrease.
 */
export function tokenOffsets(tokenizer: Tokenizer, text: string, ids: readonly number[]): number[] {
  const offsets: number[] = [];
  let previous = 0;
  for (let index = 0; index < ids.length; index++) {
    let offset = 0;
    if (index > 0) {
      const decoded = tokenizer.decode(ids.slice(0, index));
      if (text.startsWith(decoded)) {
        offset = decoded.length;
      } else {
        let common = 0;
        while (common < decoded.length && common < text.length && decoded[common] === text[common]) common++;
        offset = codePointEnd(text, common);
      }
    }
    previous = Math.min(text.length, Math.max(previous, offset));
    offsets.push(previous);
  }
  return offsets;
}

/**
 * Returns every token of `text` (tokenized whole, as training and generation see it) with its
 * log-probability given the tokens before it and, when asked, the most likely tokens at its position:
 * one forward pass, a log-softmax per position, read back once.
 */
export async function scoreTokens(model: DecoderModel, tokenizer: Tokenizer, text: string, options: ScoreTokensOptions = {}): Promise<ScoredToken[]> {
  const ids = tokenizer.encode(text);
  const positions = model.config.maxPositionEmbeddings;
  if (ids.length - 1 > positions) {
    throw new ContextLengthError(`the text needs ${ids.length - 1} positions to score, more than the model's ${positions}`, {
      tokens: ids.length - 1,
      positions,
      hint: 'score a shorter text',
    });
  }
  const topCount = Math.min(Math.max(0, Math.floor(options.topLogprobs ?? 0)), model.config.vocabSize);
  const offsets = tokenOffsets(tokenizer, text, ids);
  const tokenText = (index: number): string => text.slice(offsets[index], index + 1 < ids.length ? offsets[index + 1] : text.length);

  const decoded = new Map<number, string>();
  const decodeOne = (id: number): string => {
    let piece = decoded.get(id);
    if (piece === undefined) {
      piece = tokenizer.decode([id]);
      if (piece.includes('\uFFFD')) piece = `token_id:${id}`;
      decoded.set(id, piece);
    }
    return piece;
  };
  const steps = ids.length - 1;
  if (steps <= 0) return ids.map((id) => ({ id, text, offset: 0, piece: decodeOne(id), logProbability: null, top: null }));
  const outputs = tf.tidy(() => {
    const input = tf.tensor2d([ids.slice(0, -1)], [1, steps], 'int32');
    const logSoftmax = tf.logSoftmax(model.logits({ ids: input }));
    const vocab = logSoftmax.shape[1];
    // The log-probability of the token that follows each position: a gather over the flat [steps * V] values.
    const flat = ids.slice(1).map((id, row) => row * vocab + id);
    const chosen = tf.gather(tf.reshape(logSoftmax, [-1]), tf.tensor1d(flat, 'int32'));
    if (topCount === 0) return { chosen };
    const { values, indices } = tf.topk(logSoftmax, topCount);
    return { chosen, values, indices };
  });
  let chosen: Float32Array;
  let topValues: Float32Array | undefined;
  let topIndices: Int32Array | Float32Array | Uint8Array | undefined;
  try {
    chosen = await readFloat32(outputs.chosen, 'scoreTokens');
    if (outputs.values && outputs.indices) {
      topValues = await readFloat32(outputs.values, 'scoreTokens');
      topIndices = await readTensor(outputs.indices, 'scoreTokens');
    }
  } finally {
    tf.dispose(outputs);
  }
  return ids.map((id, index) => {
    if (index === 0) return { id, text: tokenText(0), offset: 0, piece: decodeOne(id), logProbability: null, top: null };
    const row = index - 1;
    const top =
      topValues && topIndices
        ? Array.from({ length: topCount }, (_, rank) => {
            const alternative = Number(topIndices[row * topCount + rank]);
            return { id: alternative, text: decodeOne(alternative), logProbability: topValues[row * topCount + rank]! };
          })
        : null;
    return { id, text: tokenText(index), offset: offsets[index]!, piece: decodeOne(id), logProbability: chosen[row]!, top };
  });
}
