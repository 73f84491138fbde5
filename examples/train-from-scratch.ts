/**
 * Train a small decoder from scratch on attribute-conditioned conversations — own BPE tokenizer,
 * conditioned SFT — then steer it: the same prompt answered with humor 0 and humor 4.
 *
 *   node --import tsx examples/train-from-scratch.ts [--epochs 200] [--out runs/from-scratch]
 *
 * With the default 200 epochs (400 steps, about a minute on 2 cores) humor 4 adds a joke and humor 0 does not
 * (100 epochs are enough: examples/train-from-scratch.test.ts checks that at 100).
 */
import { parseArgs } from 'node:util';
import { renderConversation, type Conversation } from '@steerlm/core';
import {
  DecoderModel,
  LocalLanguageModel,
  byteLevelBpeTokenizerConfig,
  byteLevelBpeTokenizerJson,
  parseModelConfig,
  selectBackend,
  tokenizerFromJson,
  trainByteLevelBpe,
  trainConditionedSFT,
} from '@steerlm/sft';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '200' },
    out: { type: 'string', default: 'runs/from-scratch' },
    backend: { type: 'string', default: 'wasm' },
  },
});

const animals = ['cat', 'dog', 'owl', 'fox', 'cow', 'bee', 'elk', 'yak'];
const jokes = ['Ha ha, what a clown!', 'It tells puns all day.', 'Ha ha, it laughs at itself.'];

// Conversations whose humor label says whether the response ends with a joke.
const conversations: Conversation[] = animals.flatMap((animal, index) =>
  [0, 4].map((humor) => ({
    system: 'You answer in one line.',
    turns: [
      { role: 'user' as const, text: `Tell me about the ${animal}.` },
      {
        role: 'assistant' as const,
        text: `The ${animal} is an animal.${humor === 4 ? ` ${jokes[index % jokes.length]}` : ''}`,
        attributes: { quality: 4, humor },
      },
    ],
  })),
);

const backend = await selectBackend({ prefer: values.backend as 'wasm' | 'cpu' });
console.log(`backend: ${backend.backend} (${backend.reason})`);

// 1. A byte-level BPE tokenizer with the SteerLM special tokens as single tokens.
const texts = conversations.map((conversation) => renderConversation(conversation));
const trained = await trainByteLevelBpe(texts, { vocabSize: 320 });
const tokenizer = await tokenizerFromJson(byteLevelBpeTokenizerJson(trained), byteLevelBpeTokenizerConfig(trained));

// 2. A small GPT-2-family decoder, randomly initialised.
const model = DecoderModel.create(
  parseModelConfig({ architectures: ['GPT2LMHeadModel'], vocab_size: tokenizer.vocabSize, n_embd: 64, n_layer: 2, n_head: 4, n_positions: 256 }),
  { seed: 1 },
);

// 3. Conditioned SFT: loss on the responses only, labels in the prompt.
const { summary } = await trainConditionedSFT({
  model,
  tokenizer,
  train: conversations,
  epochs: Number(values.epochs),
  batchSize: 8,
  learningRate: 3e-3,
  outputDir: values.out,
  overwrite: true, // a rerun replaces the previous run in that folder
  onEvent: (event) => {
    if (event.type === 'step-end' && event.step % 20 === 0) console.log(`step ${event.step}/${event.total} loss ${event.metrics?.loss?.toFixed(3)}`);
  },
});
console.log(
  JSON.stringify({
    firstLoss: summary.lossCurve[0]?.loss,
    finalLoss: summary.finalLoss,
    steps: summary.steps,
    tokensPerSecond: Math.round(summary.tokensPerSecond),
  }),
);

// 4. Steer: the same prompt under two attribute settings (greedy decoding).
const lm = new LocalLanguageModel(model, tokenizer);
for (const humor of [0, 4]) {
  const result = await lm.steer(
    { system: 'You answer in one line.', prompt: 'Tell me about the owl.', attributes: { quality: 4, humor } },
    { maxTokens: 40, temperature: 0 },
  );
  console.log(`humor ${humor}: ${JSON.stringify(result.text)}`);
}
