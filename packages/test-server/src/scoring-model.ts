import type { LanguageModel } from '@steerlm/core';

/** One token of a scored text with its log-probability given everything before it. */
export interface TokenLogProbability {
  readonly token: string;
  /** Where the token starts in the text (UTF-16 code units). */
  readonly offset: number;
  /** Natural log; the first token is scored given an empty context. */
  readonly logProbability: number;
}

/** A LanguageModel that can also score a text token by token (needed for `echo` + `logprobs`). */
export interface ScoringLanguageModel extends LanguageModel {
  /** Returns every token of `text` with its log-probability given the tokens before it. */
  tokenLogProbabilities(text: string): TokenLogProbability[];
}

/** Returns whether `model` can score texts token by token. */
export function isScoringLanguageModel(model: LanguageModel): model is ScoringLanguageModel {
  return typeof (model as Partial<ScoringLanguageModel>).tokenLogProbabilities === 'function';
}
