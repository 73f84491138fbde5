/**
 * Label a dataset with a trained attribute predictor (SteerLM's APM), resumably.
 *
 *   npx tsx examples/annotate-jsonl.ts --train oasst-labelled.jsonl --input oasst-unlabelled.jsonl \
 *     --output labels.jsonl --model ./apm-model [--featurizer use-lite-chunked+text-statistics]
 *
 * Both inputs are oasst1 message-per-line JSONL files. The model folder is reused when it exists;
 * otherwise a predictor is trained on --train and saved there. Re-running after a kill continues
 * where it stopped: records already in --output are skipped. The last line printed is a JSON summary.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OASST, readOasstResponses } from '@steerlm/core';
import { AttributePredictor, createFeaturizerByName, DEFAULT_FEATURIZER_NAME, type AnnotationRecord } from '@steerlm/attribute-regressor';

const { values: args } = parseArgs({
  options: {
    train: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    model: { type: 'string' },
    featurizer: { type: 'string', default: DEFAULT_FEATURIZER_NAME },
  },
});
if (!args.input || !args.output || !args.model) {
  console.error('usage: annotate-jsonl.ts --train FILE --input FILE --output FILE --model DIR [--featurizer NAME]');
  process.exit(2);
}

let predictor: AttributePredictor;
if (existsSync(join(args.model, 'config.json'))) {
  // The saved config names its featurizer, so the same one is rebuilt (and a different one would be refused).
  predictor = await AttributePredictor.load(args.model);
  console.log(`loaded the predictor in ${args.model} (${predictor.featurizer.id})`);
} else {
  if (!args.train) throw new Error(`no model in ${args.model}: pass --train to train one`);
  const examples = [];
  for await (const response of readOasstResponses(args.train)) {
    // oasst1 labels are means in [0, 1]; the regression targets are v * 4 on the 0..4 scale (missing ones stay out).
    const labels: Record<string, number> = {};
    for (const name of OASST.names) if (response.labels[name] !== undefined) labels[name] = response.labels[name]! * 4;
    examples.push({ input: { context: response.context, response: response.response }, labels, group: response.treeId });
  }
  predictor = await AttributePredictor.train(examples, {
    schema: OASST,
    featurizer: createFeaturizerByName(args.featurizer!),
    onProgress: (event) => {
      if (event.type === 'job-end') console.log(`${event.job} done in ${(event.elapsedMs / 1000).toFixed(1)} s`);
    },
  });
  await predictor.save(args.model);
  console.log(`trained on ${examples.length} responses and saved to ${args.model}`);
}

async function* records(): AsyncGenerator<AnnotationRecord> {
  for await (const response of readOasstResponses(args.input!, { includeUnlabeled: true })) {
    yield { id: response.messageId, input: { context: response.context, response: response.response }, data: { treeId: response.treeId } };
  }
}

const summary = await predictor.annotate({ records: records(), output: args.output });
await predictor.featurizer.dispose?.();
console.log(JSON.stringify(summary));
