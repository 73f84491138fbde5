import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledPage, bundleWithEsbuild, launchChromium, NODE_BUILTIN_IMPORT, renderInChromium, runInBrowser } from '@steerlm/test-server/browser-bundle';
import { escapeMarkup } from './report/escape-markup';
import { spearmanCorrelation } from './statistics/rank-correlation';

// `@steerlm/evaluators` must bundle for the browser with no externals and run there: nothing reachable
// from its root entry may import a Node built-in (report files are in `@steerlm/evaluators/node`). The
// app is bundled from the built packages (dist), so `npm test` builds them first.
const app = fileURLToPath(new URL('../browser-app/', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('the root entry in a browser', () => {
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (!existsSync(built)) throw new Error(`${built} is missing: build @steerlm/evaluators first (npm test builds it)`);
    if (runInBrowser) browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('bundles with esbuild for the browser, no externals, and computes in Chromium what it computes in Node', async () => {
    const expected = { rho: spearmanCorrelation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), escaped: escapeMarkup('<b>"Tom & Jerry"</b>') };
    expect(expected.rho).toBeCloseTo(0.8, 12);
    expect(expected.escaped).toBe('&lt;b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt;');
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
