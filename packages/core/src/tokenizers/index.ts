export { CHAR_TOKENIZER_SPECIAL_TOKENS, charTokenizer } from './char-tokenizer';
