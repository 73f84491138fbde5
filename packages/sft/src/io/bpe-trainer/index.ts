export { BYTE_TO_UNICODE, UNICODE_TO_BYTE, fromByteLevel, toByteLevel } from './byte-to-unicode';
export { GPT2_PRE_TOKENIZER_PATTERN, preTokenize } from './pre-tokenize';
export { DEFAULT_MAX_TOKEN_LENGTH, DEFAULT_SPECIAL_TOKENS, trainByteLevelBpe } from './train-byte-level-bpe';
export type { TrainByteLevelBpeOptions, TrainedByteLevelBpe } from './train-byte-level-bpe';
export { byteLevelBpeTokenizerConfig, byteLevelBpeTokenizerJson, writeByteLevelBpeTokenizer } from './byte-level-bpe-files';
export type { ByteLevelBpeConfigOptions } from './byte-level-bpe-files';
