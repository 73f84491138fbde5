import { expect, it } from 'vitest';
import { defineAttributeSchema } from '@steerlm/core';
import { describeBrowserApp } from '@steerlm/test-server/browser-bundle';
import { AttributePredictor } from './attribute-predictor';
import { createHashedNgramsFeaturizer } from './featurizers/hashed-ngrams';

// `@steerlm/attribute-regressor` must bundle for the browser with no externals and run there: nothing
// reachable from its root entry may import a Node built-in (files on disk are for Node: the `node` export
// condition and `@steerlm/attribute-regressor/node`). The app is bundled from the built packages (dist),
// so `npm test` builds them first.

const schema = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4 },
    { name: 'humor', min: 0, max: 4 },
  ],
});
const responses = [
  'A short and funny joke.',
  'A long, dull and careful answer.',
  'Funny, funny, very funny.',
  'Dull.',
  'A careful answer with a joke.',
  'Nothing much.',
];

describeBrowserApp(import.meta.url, (run) => {
  it('bundles with esbuild for the browser, no externals, and scores in Chromium with a predictor saved under Node', async () => {
    const featurizer = createHashedNgramsFeaturizer({ buckets: 64 });
    const examples = responses.map((response, index) => ({
      input: { context: [{ role: 'user' as const, text: 'Tell me a joke.' }], response },
      labels: { quality: index % 5, humor: (index * 3) % 5 },
      group: `g${index}`,
    }));
    const predictor = await AttributePredictor.train(examples, { schema, featurizer, ridgeAlphas: [1], validationFraction: 0.34 });
    const files = predictor.toFiles();
    const [score] = await AttributePredictor.fromFiles(files).predict([
      { context: [{ role: 'user', text: 'Tell me a joke.' }], response: 'A short and funny joke.' },
    ]);
    const [original] = await predictor.predict([{ context: [{ role: 'user', text: 'Tell me a joke.' }], response: 'A short and funny joke.' }]);
    expect(score).toEqual(original);
    const output = await run(
      new Map<string, string | Uint8Array>([
        ['/predictor/config.json', files.config],
        ['/predictor/model.safetensors', files.weights],
      ]),
    );
    if (output === null) return;
    const shown = output as { values: Record<string, number>; rounded: Record<string, number>; useLite: string };
    expect(shown.rounded).toEqual(original!.rounded);
    expect(shown.values.quality).toBeCloseTo(original!.values.quality!, 5);
    expect(shown.values.humor).toBeCloseTo(original!.values.humor!, 5);
    expect(shown.useLite).toContain("the use-lite featurizer needs Node's file system");
  });
});
