/**
 * Start a steering server and open its playground: one slider per attribute, streaming answers and a
 * side-by-side comparison of two settings. Pass a model folder (from `steerlm sft train`), or nothing
 * for the weightless `attribute-echo` model that spells out the requested attributes.
 *
 *   npx tsx examples/steer-in-browser.ts [MODEL_FOLDER] [PORT]
 */
import { loadLanguageModel, startSteeringServer } from '@steerlm/cli';

const modelName = process.argv[2] ?? 'attribute-echo';
const port = Number(process.argv[3] ?? 8000);

const loaded = await loadLanguageModel(modelName, { wordDelayMs: 40 });
const server = await startSteeringServer({ model: loaded.model, port });
console.log(`playground: ${server.url}/`);
console.log(`OpenAI-compatible API: ${server.url}/v1 (model ${loaded.model.modelId}, backend ${loaded.backend})`);
console.log('press Ctrl-C to stop');

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
