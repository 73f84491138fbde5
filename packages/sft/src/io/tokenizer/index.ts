export { specialAddedToken, type AddedTokenJson, type TokenizerJson } from './tokenizer-json';
export { locateTokenizerFiles, readTokenizerFiles, tokenizerVocabSize, validateTokenizerJson, type TokenizerFiles } from './read-tokenizer-files';
export { TransformersTokenizer, loadTokenizer, tokenizerFromJson, type TokenizerDecodeOptions, type TokenizerEncodeOptions } from './transformers-tokenizer';
export { ensureSpecialTokens, ensureSpecialTokensInJson, type EnsureSpecialTokensOptions, type EnsureSpecialTokensResult } from './ensure-special-tokens';
