import { expect, it } from 'vitest';
import { describeBrowserApp } from '@steerlm/test-server/browser-bundle';
import { escapeMarkup } from './report/escape-markup';
import { spearmanCorrelation } from './statistics/rank-correlation';

// `@steerlm/evaluators` must bundle for the browser with no externals and run there: nothing reachable
// from its root entry may import a Node built-in (report files are in `@steerlm/evaluators/node`). The
// app is bundled from the built packages (dist), so `npm test` builds them first.

describeBrowserApp(import.meta.url, (run) => {
  it('bundles with esbuild for the browser, no externals, and computes in Chromium what it computes in Node', async () => {
    const expected = { rho: spearmanCorrelation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), escaped: escapeMarkup('<b>"Tom & Jerry"</b>') };
    expect(expected.rho).toBeCloseTo(0.8, 12);
    expect(expected.escaped).toBe('&lt;b&gt;&quot;Tom &amp; Jerry&quot;&lt;/b&gt;');
    const shown = await run();
    if (shown !== null) expect(shown).toEqual(expected);
  });
});
