/**
 * Writes the golden masking files of packages/sft/src/trainer/fixtures/: token ids and loss masks
 * computed by NeMo's algorithm (GPTSFTChatDataset in nemo/collections/nlp/data/language_modeling/
 * megatron/gpt_sft_chat_dataset.py: the whole conversation tokenized at once, the masks placed by
 * per-turn token counts measured with its "\x00" prefix trick), re-implemented here from its
 * description, independent of this project's masking code. Two local tokenizers: a byte-level BPE
 * trained with the project's trainer, and a hand-made SentencePiece-style (Llama 2) one.
 *
 * Run: npx tsx scripts/nemo-reference/sft-masks.mts
 */
import { writeFile } from 'node:fs/promises';
import { byteLevelBpeTokenizerConfig, byteLevelBpeTokenizerJson, trainByteLevelBpe } from '../../packages/sft/src/io/bpe-trainer/index.ts';
import { ensureSpecialTokensInJson } from '../../packages/sft/src/io/tokenizer/ensure-special-tokens.ts';
import { llamaStyleTokenizerFiles } from '../../packages/sft/src/io/tokenizer/testing/llama-style-tokenizer.ts';
import { tokenizerFromJson } from '../../packages/sft/src/io/tokenizer/transformers-tokenizer.ts';

import { nemoPreprocess, type NemoChatRecord as Record_, type Turn } from '../../packages/sft/src/trainer/testing/nemo-sft-chat-masks.ts';

const SYSTEM =
  "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";
const user = (value: string): Turn => ({ from: 'User', value, label: null });
const assistant = (value: string, label: string | null): Turn => ({ from: 'Assistant', value, label });
const v2t = (conversations: Turn[], system = SYSTEM): Record_ => ({ system, mask: 'User', type: 'VALUE_TO_TEXT', conversations });

const cases: { name: string; record: Record_ }[] = [
  {
    name: 'single turn',
    record: v2t([
      user('Tell me a joke about cats.'),
      assistant('hello world, why did the cat sit on the laptop?', 'quality:4,toxicity:0,humor:4,creativity:2'),
    ]),
  },
  {
    name: 'multi-turn with an unlabelled turn',
    record: v2t(
      [
        user('What is 2+2?'),
        assistant('4', 'quality:4,helpfulness:3'),
        user('And 3+3?\nThanks.'),
        assistant('hello, it is 6.', null),
        user('ok'),
        assistant('Bye!', 'humor:1'),
      ],
      'Be brief.',
    ),
  },
  { name: 'ends on the user', record: v2t([user('hello'), assistant('hello there', 'quality:2'), user('and then?')]) },
  { name: 'empty label', record: v2t([user('Hi'), assistant('hello friend', '')]) },
  { name: 'unicode and spaces', record: v2t([user('Écris « bonjour » 😀'), assistant('  hello wörld 日本\n\nsecond paragraph', 'quality:3')]) },
  {
    name: 'TEXT_TO_VALUE',
    record: {
      system: SYSTEM,
      mask: 'User',
      type: 'TEXT_TO_VALUE',
      conversations: [user('Rate this.'), assistant('hello world', 'quality:4,toxicity:0'), user('again'), assistant('worse', 'quality:1')],
    },
  },
  {
    name: 'TEXT_TO_VALUE unlabelled',
    record: { system: SYSTEM, mask: 'User', type: 'TEXT_TO_VALUE', conversations: [user('Rate this.'), assistant('hello', null)] },
  },
  {
    name: 'HelpSteer2 multi-turn prompt as one user turn',
    record: v2t([
      user('c#\n<extra_id_1>Assistant\nC# is a language.\n<extra_id_1>User\nhow to use it'),
      assistant('hello, install the SDK.', 'helpfulness:3,correctness:4,coherence:4,complexity:2,verbosity:1'),
    ]),
  },
];

const corpus = cases.flatMap(({ record }) => [record.system, ...record.conversations.map((turn) => turn.value)]);
const trained = await trainByteLevelBpe([...corpus, ...corpus, 'hello world hello world the cat sat'], { vocabSize: 256 + 4 + 120 });
const bpe = { tokenizerJson: byteLevelBpeTokenizerJson(trained), tokenizerConfig: byteLevelBpeTokenizerConfig(trained) };

/** The SentencePiece-style tokenizer of the golden files: two more merges, no BOS template, special tokens ensured. */
function llamaStyleTokenizer() {
  const { tokenizerJson, tokenizerConfig } = llamaStyleTokenizerFiles({
    extraMerges: [
      ['h', 'ell'],
      ['hell', 'o'],
    ],
    bosTemplate: false,
  });
  return { tokenizerJson: ensureSpecialTokensInJson(tokenizerJson).tokenizerJson, tokenizerConfig };
}

for (const [file, tokenizerFiles] of [
  ['nemo-masks-byte-level-bpe.json', bpe],
  ['nemo-masks-sentencepiece.json', llamaStyleTokenizer()],
] as const) {
  const tokenizer = await tokenizerFromJson(tokenizerFiles.tokenizerJson, tokenizerFiles.tokenizerConfig);
  const golden = cases.map(({ name, record }) => ({ name, record, ...nemoPreprocess(record, (text) => tokenizer.encode(text)) }));
  const body = {
    about: "Golden loss masks computed by NeMo GPTSFTChatDataset's algorithm (scripts/nemo-reference/sft-masks.mts); trained[i]: token i is a loss target.",
    ...tokenizerFiles,
    cases: golden.map((item) => ({ ...item, trained: item.trained.map(Number).join('') })),
  };
  await writeFile(new URL(`../../packages/sft/src/trainer/fixtures/${file}`, import.meta.url), `${JSON.stringify(body)}\n`);
  console.log(file, golden.map((item) => `${item.name}: ${item.ids.length} tokens, ${item.trained.filter(Boolean).length} trained`).join('; '));
}
