import { formatAttributes, type Tokenizer } from '@steerlm/core';
import { STEERBENCH_SCHEMA, STEERBENCH_SYSTEM_PROMPT, type SteerBenchExample } from '@steerlm/evaluators';
import { byteLevelBpeTokenizerConfig, byteLevelBpeTokenizerJson, tokenizerFromJson, trainByteLevelBpe, type TokenizerJson } from '@steerlm/sft';

/**
 * Returns a byte-level BPE tokenizer (with SteerLM's special tokens) trained on the questions, the
 * responses, the label strings and the template's words, so the tiny model sees short sequences.
 */
export async function trainDemoTokenizer(
  examples: readonly SteerBenchExample[],
  vocabSize: number,
): Promise<{ tokenizer: Tokenizer; tokenizerJson: TokenizerJson; tokenizerConfig: Record<string, unknown> }> {
  const texts = [
    `System\n${STEERBENCH_SYSTEM_PROMPT}\nUser\nAssistant\n`,
    ...examples.flatMap((example) => [example.question, example.response, formatAttributes(example.truth, STEERBENCH_SCHEMA)]),
  ];
  const trained = await trainByteLevelBpe(texts, { vocabSize });
  const tokenizerJson = byteLevelBpeTokenizerJson(trained);
  const tokenizerConfig = byteLevelBpeTokenizerConfig(trained);
  return { tokenizer: await tokenizerFromJson(tokenizerJson, tokenizerConfig), tokenizerJson, tokenizerConfig };
}
