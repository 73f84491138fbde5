/**
 * Runs a small training job; the resume test starts it in a child process. With a step number as the
 * second argument the child kills itself with SIGKILL when that step ends (a kill -9 at a chosen point,
 * e.g. between two checkpoints), so the test does not depend on when a signal from outside lands.
 */
import * as tf from '@tensorflow/tfjs';
import { charTokenizer } from '@steerlm/core';
import { trainConditionedSFT } from '../train-conditioned-sft';
import { resumableRunOptions, tinyModel } from './tiny-run';

const outputDir = process.argv[2]!;
const killAfterStep = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
await tf.setBackend('cpu');
await trainConditionedSFT({
  model: tinyModel(1),
  tokenizer: charTokenizer(),
  ...resumableRunOptions(),
  outputDir,
  onEvent: (event) => {
    if (event.type === 'checkpoint') process.stdout.write(`checkpoint ${event.step}\n`);
    if (event.type === 'step-end' && event.step === killAfterStep) process.kill(process.pid, 'SIGKILL');
  },
});
