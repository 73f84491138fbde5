import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledPage, bundleWithEsbuild, launchChromium, NODE_BUILTIN_IMPORT, renderInChromium, runInBrowser } from '@steerlm/test-server/browser-bundle';
import { pickCombination } from './attribute-combinations';
import { regularizedIncompleteBeta } from './beta-distribution';

// `@steerlm/bootstrap` must bundle for the browser with no externals and run there: nothing reachable
// from its root entry may import a Node built-in (the runs writing JSONL are in `@steerlm/bootstrap/node`).
// The app is bundled from the built packages (dist), so `npm test` builds them first.
const app = fileURLToPath(new URL('../browser-app/', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('the root entry in a browser', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(built)) throw new Error(`${built} is missing: build @steerlm/bootstrap first (npm test builds it)`);
    if (runInBrowser) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('bundles with esbuild for the browser, no externals, and computes in Chromium what it computes in Node', async () => {
    const combinations = [
      { quality: 4, humor: 0 },
      { quality: 2, humor: 3 },
      { quality: 0, humor: 4 },
    ];
    const expected = { picked: pickCombination(combinations, 'prompt-7', 42), key: 'prompt-7\u00002', beta: regularizedIncompleteBeta(0.5, 2, 2) };
    expect(combinations).toContainEqual(expected.picked);
    expect(expected.beta).toBeCloseTo(0.5, 12);
    const { errors, warnings, code } = await bundleWithEsbuild(app);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    expect(code).not.toMatch(NODE_BUILTIN_IMPORT);
    if (!browser) return;
    const page = await renderInChromium(
      browser,
      new Map([
        ['/index.html', await bundledPage(app)],
        ['/main.js', code],
      ]),
    );
    expect(page.errors).toEqual([]);
    expect(page.status).toBe('done');
    expect(JSON.parse(page.text!)).toEqual(expected);
  });
});
