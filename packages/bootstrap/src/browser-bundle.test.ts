import { expect, it } from 'vitest';
import { describeBrowserApp } from '@steerlm/test-server/browser-bundle';
import { pickCombination } from './attribute-combinations';
import { regularizedIncompleteBeta } from './beta-distribution';

// `@steerlm/bootstrap` must bundle for the browser with no externals and run there: nothing reachable
// from its root entry may import a Node built-in (the runs writing JSONL are in `@steerlm/bootstrap/node`).
// The app is bundled from the built packages (dist), so `npm test` builds them first.

describeBrowserApp(import.meta.url, (run) => {
  it('bundles with esbuild for the browser, no externals, and computes in Chromium what it computes in Node', async () => {
    const combinations = [
      { quality: 4, humor: 0 },
      { quality: 2, humor: 3 },
      { quality: 0, humor: 4 },
    ];
    const expected = { picked: pickCombination(combinations, 'prompt-7', 42), key: 'prompt-7\u00002', beta: regularizedIncompleteBeta(0.5, 2, 2) };
    expect(combinations).toContainEqual(expected.picked);
    expect(expected.beta).toBeCloseTo(0.5, 12);
    const shown = await run();
    if (shown !== null) expect(shown).toEqual(expected);
  });
});
