/**
 * SteerLM bootstrap (paper §3.4) through a local LanguageModel: collect the top-quality attribute
 * combinations of an annotated dataset, draw one per prompt, sample responses conditioned on it,
 * re-annotate them and append VALUE_TO_TEXT NeMo records ready for the trainer. Re-running resumes.
 *
 *   npx tsx examples/bootstrap-local.ts --output bootstrap.jsonl --prompts 8 --samples 2
 *
 * The model here is a tiny character n-gram trained on the dataset (so the example runs anywhere);
 * use any LanguageModel instead — a @steerlm/sft decoder or a transformers.js model — and an
 * AttributeScorer such as @steerlm/attribute-regressor's AttributePredictor.
 */
import { parseArgs } from 'node:util';
import { collectAttributeCombinations, type BootstrapPrompt } from '@steerlm/bootstrap';
import { runBootstrap } from '@steerlm/bootstrap/node';
import { clampToScale, OASST, steerlmTemplate, type AttributeScorer, type Conversation } from '@steerlm/core';
import { createCharacterNGramModel } from '@steerlm/test-server';

const { values: flags } = parseArgs({
  options: {
    output: { type: 'string', default: 'bootstrap-local.jsonl' },
    prompts: { type: 'string', default: '8' },
    samples: { type: 'string', default: '2' },
    seed: { type: 'string', default: '0' },
  },
});

// An annotated dataset (OASST attributes on 0..4): normally read with readNemoRecords / readOasstThreads.
const annotated: Conversation[] = [
  ['What do cats like?', 'Cats like warm windowsills, long naps and chasing small toys.', { quality: 4, toxicity: 0, humor: 1, creativity: 2 }],
  ['Tell me about dogs.', 'Dogs are loyal companions who love walks, games of fetch and their people.', { quality: 4, toxicity: 0, humor: 0, creativity: 1 }],
  ['Tell me a joke.', 'Why did the cat sit on the computer? To keep an eye on the mouse!', { quality: 4, toxicity: 0, humor: 4, creativity: 3 }],
  [
    'How do fish sleep?',
    'Fish rest by slowing down; most keep their eyes open because they have no eyelids.',
    { quality: 3, toxicity: 0, humor: 0, creativity: 1 },
  ],
  ['Write a tiny poem.', 'Moonlight on the lake, a heron waits, the water keeps its secrets.', { quality: 4, toxicity: 0, humor: 0, creativity: 4 }],
].map(([user, assistant, attributes]) => ({
  turns: [
    { role: 'user' as const, text: user as string },
    { role: 'assistant' as const, text: assistant as string, attributes: attributes as Record<string, number> },
  ],
}));

// A local model that speaks the SteerLM template: trained on the dataset rendered with its labels.
const model = createCharacterNGramModel({
  texts: annotated.map((conversation) => steerlmTemplate.render(conversation, { schema: OASST }) + steerlmTemplate.stopStrings[0]),
  order: 7,
  modelId: 'tiny-steerlm',
});

// A transparent heuristic re-annotator (quality from length, humor from "!" and "?", creativity from
// vocabulary richness); a trained attribute prediction model goes here in practice.
const scorer: AttributeScorer = {
  specificationVersion: 'v1',
  schema: OASST,
  async score(inputs) {
    return inputs.map(({ response }) => {
      const words = response.split(/\s+/).filter(Boolean);
      const values = {
        quality: Math.min(4, words.length / 4),
        toxicity: 0,
        humor: (response.match(/[!?]/g) ?? []).length * 1.5,
        creativity: words.length === 0 ? 0 : (4 * new Set(words).size) / words.length,
      };
      const rounded = Object.fromEntries(Object.entries(values).map(([name, value]) => [name, clampToScale(value, OASST.get(name)!)]));
      return { values, rounded };
    });
  },
};

const questions = ['What do cats like?', 'Tell me a joke.', 'Write a tiny poem.', 'Tell me about dogs.'];
const prompts: BootstrapPrompt[] = Array.from({ length: Number(flags.prompts) }, (_, index) => ({
  id: `prompt-${index}`,
  turns: [{ role: 'user', text: questions[index % questions.length]! }],
}));

const combinations = await collectAttributeCombinations(annotated, { schema: OASST });
const summary = await runBootstrap({
  prompts,
  combinations,
  model,
  scorer,
  output: flags.output,
  samplesPerPrompt: Number(flags.samples),
  seed: Number(flags.seed),
  sampling: { topK: 50, temperature: 0.8, maxTokens: 200 },
  onProgress: (event) => {
    if (event.type === 'step-end')
      console.error(`bootstrap ${event.step}/${event.total} ${event.rate?.toFixed(1)} samples/s eta ${Math.round((event.etaMs ?? 0) / 1000)}s`);
  },
});
console.log(JSON.stringify({ combinations: combinations.length, ...summary, output: flags.output }));
