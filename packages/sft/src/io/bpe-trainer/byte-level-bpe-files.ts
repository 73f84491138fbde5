import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { specialAddedToken, type TokenizerJson } from '../tokenizer/tokenizer-json';
import type { TrainedByteLevelBpe } from './train-byte-level-bpe';

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };

/** Returns a standard Hugging Face `tokenizer.json` object (model BPE, ByteLevel pre-tokenizer and decoder) for a trained model. */
export function byteLevelBpeTokenizerJson(trained: TrainedByteLevelBpe): TokenizerJson {
  const vocab: Record<string, number> = {};
  for (const [token, id] of [...trained.vocab].sort((left, right) => left[1] - right[1])) {
    Object.defineProperty(vocab, token, { value: id, enumerable: true, writable: true, configurable: true });
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: trained.specialTokens.map(({ content, id }) => specialAddedToken(id, content)),
    normalizer: null,
    pre_tokenizer: { ...BYTE_LEVEL },
    post_processor: { ...BYTE_LEVEL, trim_offsets: false },
    decoder: { ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: trained.merges.map(([left, right]) => `${left} ${right}`),
    },
  };
}

/** Options of {@link byteLevelBpeTokenizerConfig} and {@link writeByteLevelBpeTokenizer}. */
export interface ByteLevelBpeConfigOptions {
  /** End-of-sequence token (default `<|endoftext|>` when it is a special token, else the first special token). */
  eosToken?: string;
  /** Beginning-of-sequence token (default: the end-of-sequence token, as GPT-2 does). */
  bosToken?: string;
  /** Padding token (default: none). */
  padToken?: string;
  /** Longest sequence the model takes (default 2048). */
  modelMaxLength?: number;
}

/** Returns the `tokenizer_config.json` object for a trained byte-level BPE tokenizer. */
export function byteLevelBpeTokenizerConfig(trained: TrainedByteLevelBpe, options: ByteLevelBpeConfigOptions = {}): Record<string, unknown> {
  const specials = trained.specialTokens.map((token) => token.content);
  const eosToken = options.eosToken ?? (specials.includes('<|endoftext|>') ? '<|endoftext|>' : specials[0]);
  for (const [option, token] of Object.entries({ eosToken, bosToken: options.bosToken, padToken: options.padToken })) {
    if (token !== undefined && !specials.includes(token)) {
      throw new InvalidOptionError(`${option} ${JSON.stringify(token)} is not one of the special tokens (${specials.join(', ')})`, { option });
    }
  }
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const { content, id } of trained.specialTokens) {
    const { id: _id, ...rest } = specialAddedToken(id, content);
    addedTokensDecoder[String(id)] = rest;
  }
  return {
    tokenizer_class: 'GPT2Tokenizer',
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder,
    bos_token: options.bosToken ?? eosToken ?? null,
    eos_token: eosToken ?? null,
    unk_token: eosToken ?? null,
    pad_token: options.padToken ?? null,
    clean_up_tokenization_spaces: false,
    model_max_length: options.modelMaxLength ?? 2048,
  };
}

/** Writes `tokenizer.json` and `tokenizer_config.json` for a trained model into `folder` (created if needed); returns the folder. */
export async function writeByteLevelBpeTokenizer(folder: string, trained: TrainedByteLevelBpe, options: ByteLevelBpeConfigOptions = {}): Promise<string> {
  const config = byteLevelBpeTokenizerConfig(trained, options);
  await mkdir(folder, { recursive: true });
  await writeTextFileAtomically(join(folder, 'tokenizer.json'), JSON.stringify(byteLevelBpeTokenizerJson(trained)));
  await writeTextFileAtomically(join(folder, 'tokenizer_config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return folder;
}
