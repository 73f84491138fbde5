// A minimal browser app using @steerlm/bootstrap's root entry, bundled by src/browser-bundle.test.ts with
// esbuild (no externals) and run in Chromium.
import { bootstrapRecordKey, pickCombination, regularizedIncompleteBeta } from '@steerlm/bootstrap';

const output = document.getElementById('output')!;
try {
  const combinations = [
    { quality: 4, humor: 0 },
    { quality: 2, humor: 3 },
    { quality: 0, humor: 4 },
  ];
  output.textContent = JSON.stringify({
    picked: pickCombination(combinations, 'prompt-7', 42),
    key: bootstrapRecordKey({ prompt_id: 'prompt-7', sample_index: 2 }),
    beta: regularizedIncompleteBeta(0.5, 2, 2),
  });
  document.body.dataset.status = 'done';
} catch (error) {
  output.textContent = String(error);
  document.body.dataset.status = 'failed';
}
