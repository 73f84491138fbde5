import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DEFAULT_SYSTEM_PROMPT, formatAttributes, OASST, STEERLM } from '@steerlm/core';
import { DecoderModel, exportHuggingFace, parseModelConfig, selectBackend, trainByteLevelBpe, writeByteLevelBpeTokenizer } from '@steerlm/sft';
import { tinyNemoRecords, tinyOasstRows, writeTinyNemoFile } from '../tiny-dataset';

/** The files the docs' commands and snippets name, made tiny; every block of the docs runs in this folder. */
export const DOC_FIXTURE_FILES = [
  '2023-04-12_oasst_all.messages.jsonl.gz',
  'train.jsonl.gz',
  'conversations.jsonl',
  'prompts.txt',
  'oasst1.jsonl',
  'oasst1-en.jsonl',
  'models/base',
  'my-llama',
] as const;

/**
 * Writes a tiny Llama folder (2 layers of width 32, 256 positions, a 512-token byte-level BPE with the
 * SteerLM special tokens, random weights) to `folder`: the `models/base` of the docs.
 */
export async function writeTinyModelFolder(folder: string, work: string): Promise<void> {
  await selectBackend({ prefer: 'cpu', allow: ['cpu'] });
  const texts = tinyNemoRecords(12).flatMap((record) => (record.conversations as { value: string }[]).map((turn) => turn.value));
  const labels = [OASST, STEERLM].map((schema) => formatAttributes({ quality: 4, toxicity: 0, humor: 4, creativity: 2 }, schema));
  const corpus = [DEFAULT_SYSTEM_PROMPT, 'A chat.', 'User', 'Assistant', ...labels, ...texts];
  const trained = await trainByteLevelBpe([...corpus, ...corpus.map((text) => text.toLowerCase())], { vocabSize: 512 });
  const tokenizer = await writeByteLevelBpeTokenizer(join(work, 'tokenizer'), trained);
  const config = parseModelConfig({
    architectures: ['LlamaForCausalLM'],
    vocab_size: trained.vocab.size,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    tie_word_embeddings: false,
  });
  const model = DecoderModel.create(config, { seed: 1 });
  await exportHuggingFace(model, tokenizer, folder);
  model.dispose();
}

/**
 * Fills `folder` with the tiny files of DOC_FIXTURE_FILES, a package.json that makes its `.ts` files ES
 * modules, and links to the repository's node_modules (so `@steerlm/…` imports resolve to the workspace
 * builds, as for a user who installed them) and examples/ (the README runs `examples/*.ts`).
 */
export async function writeDocFixture(folder: string, root: string): Promise<void> {
  // getting-started.md runs first: its `steerlm data convert` and `data split` make labelled.jsonl,
  // train.jsonl and heldout.jsonl from this stand-in for oasst1's messages file, for the other docs too.
  await writeFile(
    join(folder, '2023-04-12_oasst_all.messages.jsonl.gz'),
    gzipSync(
      `${tinyOasstRows(40)
        .map((row) => JSON.stringify(row))
        .join('\n')}\n`,
    ),
  );
  await writeTinyNemoFile(join(folder, 'conversations.jsonl'), 3);
  // HelpSteer2's train.jsonl.gz as the Hub ships it: the data commands' own fixture rows.
  await writeFile(join(folder, 'train.jsonl.gz'), gzipSync(await readFile(join(root, 'packages/cli/src/data/fixtures/helpsteer2.jsonl'))));
  await writeFile(join(folder, 'prompts.txt'), 'Tell me a joke about cats.\nWhat is the capital of France?\n');
  const oasst = `${tinyOasstRows(12)
    .map((row) => JSON.stringify(row))
    .join('\n')}\n`;
  await writeFile(join(folder, 'oasst1.jsonl'), oasst);
  await writeFile(join(folder, 'oasst1-en.jsonl'), oasst);
  await mkdir(join(folder, 'models'), { recursive: true });
  await writeTinyModelFolder(join(folder, 'models', 'base'), join(folder, '.work'));
  await cp(join(folder, 'models', 'base'), join(folder, 'my-llama'), { recursive: true });
  await writeFile(join(folder, 'package.json'), JSON.stringify({ name: 'docs-walk', private: true, type: 'module' }));
  await symlink(join(root, 'node_modules'), join(folder, 'node_modules'), 'dir');
  await symlink(join(root, 'examples'), join(folder, 'examples'), 'dir');
}
