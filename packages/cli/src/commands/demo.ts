import { SteerLMError } from '@steerlm/core';
import { defineCommand } from '../cli';

/** `steerlm demo`: the SteerBench demonstration (its pipeline lives in ../demo once built). */
export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'run the SteerBench demo: train a tiny SteerLM model end to end and show that it steers',
  options: {},
  async run() {
    throw new SteerLMError('steerlm.not-built', 'the demo is not built yet: this build of steerlm has no packages/cli/src/demo', {
      hint: 'use "steerlm sft train", "steerlm generate" and "steerlm serve" meanwhile',
    });
  },
});
