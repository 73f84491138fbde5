export { specialAddedToken, type AddedTokenJson, type TokenizerJson } from './tokenizer-json';
export { locateTokenizerFiles, readTokenizerFiles, tokenizerVocabSize, validateTokenizerJson, type TokenizerFiles } from './read-tokenizer-files';
export { TransformersTokenizer, tokenizerFromJson, type TokenizerDecodeOptions, type TokenizerEncodeOptions } from './transformers-tokenizer';
export { loadTokenizer } from './load-tokenizer';
export { ensureSpecialTokens, ensureSpecialTokensInJson, type EnsureSpecialTokensOptions, type EnsureSpecialTokensResult } from './ensure-special-tokens';
