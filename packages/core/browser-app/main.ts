// A minimal browser app using @steerlm/core's root entry, bundled by the browser-bundle test with
// esbuild and with Vite (no externals) and run in Chromium.
import { conditionPrompt, HELPSTEER } from '@steerlm/core';

const output = document.getElementById('prompt')!;
try {
  output.textContent = conditionPrompt({ prompt: 'Name a prime number.', attributes: { helpfulness: 4, verbosity: 1 }, schema: HELPSTEER });
  document.body.dataset.status = 'done';
} catch (error) {
  output.textContent = String(error);
  document.body.dataset.status = 'failed';
}
