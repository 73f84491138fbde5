/** Runs a small training job; the resume test starts it in a child process and kills it. */
import * as tf from '@tensorflow/tfjs';
import { charTokenizer } from '@steerlm/core';
import { trainConditionedSFT } from '../train-conditioned-sft';
import { tinyConversations, tinyModel } from './tiny-run';

const outputDir = process.argv[2]!;
await tf.setBackend('cpu');
await trainConditionedSFT({
  model: tinyModel(1),
  tokenizer: charTokenizer(),
  train: tinyConversations(8),
  batchSize: 2,
  epochs: 4,
  learningRate: 3e-3,
  warmupSteps: 2,
  seed: 5,
  outputDir,
  checkpointEvery: 2,
  keepCheckpoints: 100,
  onEvent: (event) => {
    if (event.type === 'checkpoint') process.stdout.write(`checkpoint ${event.step}\n`);
  },
});
