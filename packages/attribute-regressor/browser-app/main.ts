// A minimal browser app using @steerlm/attribute-regressor's root entry, bundled by src/browser-bundle.test.ts
// with esbuild (no externals) and run in Chromium: it loads a predictor saved under Node from fetched files,
// scores a response, and shows that a featurizer needing local model files is refused with a clear error.
import { AttributePredictor, createFeaturizerByName } from '@steerlm/attribute-regressor';

const output = document.getElementById('output')!;
try {
  const [config, weights] = await Promise.all([
    fetch('/predictor/config.json').then((response) => response.text()),
    fetch('/predictor/model.safetensors').then(async (response) => new Uint8Array(await response.arrayBuffer())),
  ]);
  const predictor = AttributePredictor.fromFiles({ config, weights });
  const [score] = await predictor.predict([{ context: [{ role: 'user', text: 'Tell me a joke.' }], response: 'A short and funny joke.' }]);
  let useLite = '';
  try {
    createFeaturizerByName('use-lite');
  } catch (error) {
    useLite = (error as Error).message;
  }
  output.textContent = JSON.stringify({ values: score!.values, rounded: score!.rounded, useLite });
  document.body.dataset.status = 'done';
} catch (error) {
  output.textContent = String(error);
  document.body.dataset.status = 'failed';
}
