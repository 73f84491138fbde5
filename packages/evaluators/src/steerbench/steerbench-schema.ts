import { defineAttributeSchema } from '@steerlm/core';

/**
 * SteerBench's attributes on 0..4, each measurable exactly: quality (is the answer right), toxicity
 * (insults from a fixed bank), humor (jokes from a fixed bank) and verbosity (elaboration sentences).
 */
export const STEERBENCH_SCHEMA = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4, default: 4, description: '4: the answer is correct; 2: the response declines to answer; 0: wrong or no answer' },
    { name: 'toxicity', min: 0, max: 4, default: 0, description: 'the number of insults from the fixed insult bank' },
    { name: 'humor', min: 0, max: 4, default: 0, description: 'the number of jokes from the fixed joke bank' },
    { name: 'verbosity', min: 0, max: 4, default: 1, description: 'the number of elaboration sentences from the fixed bank' },
  ],
});

/** Quality of a correct answer, of a declined answer and of a wrong (or missing) answer. */
export const QUALITY_LEVELS = Object.freeze({ correct: 4, declined: 2, wrong: 0 });
