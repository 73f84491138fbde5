import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AttributeEchoModel } from '../models';
import { chromiumPath, launchHeadlessChromium, NO_CHROMIUM as noBrowser, RUN_IN_CHROMIUM as runInBrowser } from '../testing/headless-chromium';
import { playgroundPage } from './playground-page';
import { startSteeringServer, type SteeringServer } from './start-steering-server';

describe('playground page', () => {
  it('is self-contained: inline script and style, no external resources', () => {
    const html = playgroundPage({ modelId: '<model & co>', needsApiKey: true });
    expect(html).toContain('&#60;model &#38; co&#62;');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\//);
    expect(html).toContain('id="api-key"');
    expect(html).toMatch(/<input type="range" id="guidance-a" min="0" max="4" step="0.25" value="1"/);
  });
});

describe('the Chromium the end-to-end test drives', () => {
  it('is STEERLM_CHROMIUM when set, else /usr/bin/chromium', () => {
    expect(chromiumPath({ STEERLM_CHROMIUM: '/opt/chrome/chrome' })).toBe('/opt/chrome/chrome');
    expect(chromiumPath({})).toBe('/usr/bin/chromium');
    expect(chromiumPath({ STEERLM_CHROMIUM: '' })).toBe('/usr/bin/chromium');
  });
});

describe('playground in headless Chromium', () => {
  let server: SteeringServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!runInBrowser) return;
    server = await startSteeringServer({ model: new AttributeEchoModel({ wordDelayMs: 30 }), port: 0, log: () => {} });
    browser = await launchHeadlessChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('streams text that follows the sliders, two settings side by side', async (ctx) => {
    if (!runInBrowser) ctx.skip(noBrowser);
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    page.on('requestfailed', (request) => failures.push(`${request.url()} failed`));
    await page.goto(server.url);
    await page.waitForSelector('#slider-a-humor');
    expect(await page.locator('#sliders-a input[type=range]').count()).toBe(9);
    const bodies: unknown[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/v1/chat/completions')) bodies.push(request.postDataJSON());
    });

    // Setting A: humor 4; setting B keeps the schema's default humor 0.
    await page.locator('#slider-a-humor').fill('4');
    expect(await page.textContent('#value-a-humor')).toBe('4');
    expect(await page.textContent('#label-a')).toContain('humor:4');
    await page.click('#send');

    // Streaming: the output grows while the request runs, before it is done.
    await page.waitForFunction(() => (document.getElementById('output-a')?.textContent ?? '').length > 0);
    const partial = await page.textContent('#output-a');
    await page.waitForFunction(
      () => document.getElementById('output-a')?.dataset.done === 'true' && document.getElementById('output-b')?.dataset.done === 'true',
    );
    const a = (await page.textContent('#output-a')) ?? '';
    const b = (await page.textContent('#output-b')) ?? '';
    expect(partial!.length).toBeLessThan(a.length);
    expect(a).toContain('humor four');
    expect(b).toContain('humor zero');

    // Guidance 1 (the default) sends no guidance.
    expect(bodies.map((body) => (body as { steerlm: { guidance?: number } }).steerlm.guidance)).toEqual([undefined, undefined]);

    // Moving the slider changes the answer; the guidance slider sends steerlm.guidance.
    await page.locator('#slider-a-humor').fill('2');
    await page.locator('#guidance-a').fill('2.5');
    expect(await page.textContent('#guidance-value-a')).toBe('2.5');
    expect(await page.textContent('#label-a')).toContain('humor:2');
    expect(await page.textContent('#label-a')).toContain('· guidance 2.5');
    await page.uncheck('#compare');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Done.');
    expect(await page.textContent('#output-a')).toContain('humor two');
    expect((bodies.at(-1) as { steerlm: { guidance?: number } }).steerlm.guidance).toBe(2.5);

    // Half steps send fractional values (interpolation); turning them off rounds the sliders back.
    await page.check('#half-steps');
    await page.locator('#slider-a-humor').fill('1.5');
    expect(await page.textContent('#label-a')).toContain('humor:1.5');
    await page.click('#send');
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'Done.');
    expect((bodies.at(-1) as { steerlm: { attributes: Record<string, number> } }).steerlm.attributes.humor).toBe(1.5);
    await page.uncheck('#half-steps');
    expect(await page.textContent('#value-a-humor')).toBe('2');
    expect(await page.isVisible('#panel-b')).toBe(false);
    expect(failures).toEqual([]);
  });
});
