// A minimal browser app using @steerlm/evaluators' root entry, bundled by src/browser-bundle.test.ts with
// esbuild (no externals) and run in Chromium.
import { escapeMarkup, spearmanCorrelation } from '@steerlm/evaluators';

const output = document.getElementById('output')!;
try {
  output.textContent = JSON.stringify({ rho: spearmanCorrelation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), escaped: escapeMarkup('<b>"Tom & Jerry"</b>') });
  document.body.dataset.status = 'done';
} catch (error) {
  output.textContent = String(error);
  document.body.dataset.status = 'failed';
}
