/**
 * Build the exact text a SteerLM model continues, for a chat app that calls any SteerLM endpoint.
 *
 *   npx tsx examples/steer-a-prompt.ts "Tell me a joke about cats." humor=4,toxicity=0
 */
import { STEERLM, conditionPrompt, defineAttributeSchema, formatAttributes, parseAttributes, steerlmTemplate } from '@steerlm/core';

const prompt = process.argv[2] ?? 'Tell me a joke about cats.';
const requested = process.argv[3] ?? 'quality=4,toxicity=0,humor=4,creativity=2';

// Command-line style "humor=4,toxicity=0" becomes SteerLM's "humor:4,toxicity:0" attribute string.
const attributes = parseAttributes(requested.replaceAll('=', ':'), STEERLM);
const text = conditionPrompt({ prompt, attributes });

console.log(JSON.stringify({ label: formatAttributes(attributes, STEERLM), stop: steerlmTemplate.stopStrings }));
console.log(text);

// A user-defined schema: extend the presets with an attribute of your own.
const schema = defineAttributeSchema({ attributes: [...STEERLM.attributes, { name: 'formality', min: 0, max: 2 }] });
console.log(
  conditionPrompt({ prompt, schema, attributes: { ...attributes, formality: 2 } })
    .split('\n')
    .at(-2),
);
