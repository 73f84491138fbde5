/**
 * GPT-2's pre-tokenizer pattern, exactly as the Hugging Face `ByteLevel` pre-tokenizer (use_regex)
 * applies it: English contractions, letter runs, digit runs and punctuation runs each with one optional
 * leading space, then whitespace runs.
 */
export const GPT2_PRE_TOKENIZER_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** Returns the pre-tokens of `text` (the pieces BPE merges never cross). */
export function preTokenize(text: string): string[] {
  return text.match(new RegExp(GPT2_PRE_TOKENIZER_PATTERN)) ?? [];
}
