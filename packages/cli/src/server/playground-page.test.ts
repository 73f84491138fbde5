import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributeEchoModel } from '../models';
import { playgroundPage } from './playground-page';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

const executablePath = '/usr/bin/chromium';
// Skips only on a developer machine without Chromium; in CI (CI=true) a missing Chromium fails.
const runInBrowser = existsSync(executablePath) || process.env.CI === 'true';

describe('playground page', () => {
  it('is self-contained: inline script and style, no external resources', () => {
    const html = playgroundPage({ modelId: '<model & co>', needsApiKey: true });
    expect(html).toContain('&#60;model &#38; co&#62;');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
    expect(html).toContain('id="api-key"');
  });
});

describe.runIf(runInBrowser)('playground in headless Chromium', () => {
  let server: SteeringServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startSteeringServer({ model: new AttributeEchoModel({ wordDelayMs: 30 }), port: 0, log: () => {} });
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('streams text that follows the sliders, two settings side by side', async () => {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('requestfailed', (request) => failures.push(`${request.url()} failed`));
    await page.goto(server.url);
    await page.waitForSelector('#slider-a-humor');
    expect(await page.locator('#panel-a input[type=range]').count()).toBe(9);

    // Setting A: humor 4; setting B keeps the schema's default humor 0.
    await page.locator('#slider-a-humor').fill('4');
    expect(await page.textContent('#value-a-humor')).toBe('4');
    expect(await page.textContent('#label-a')).toContain('humor:4');
    await page.click('#send');

    // Streaming: the output grows while the request runs, before it is done.
    await page.waitForFunction(() => (document.getElementById('output-a')?.textContent ?? '').length > 0);
    const partial = await page.textContent('#output-a');
    await page.waitForFunction(() => document.getElementById('output-a')?.dataset.done === 'true' && document.getElementById('output-b')?.dataset.done === 'true');
    const a = (await page.textContent('#output-a')) ?? '';
    const b = (await page.textContent('#output-b')) ?? '';
    expect(partial!.length).toBeLessThan(a.length);
    expect(a).toContain('humor four');
    expect(b).toContain('humor zero');

    // Moving the slider changes the answer.
    await page.locator('#slider-a-humor').fill('2');
    await page.uncheck('#compare');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Done.');
    expect(await page.textContent('#output-a')).toContain('humor two');
    expect(await page.isVisible('#panel-b')).toBe(false);
    expect(failures).toEqual([]);
  });
});
