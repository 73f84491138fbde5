import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { build as viteBuild, createLogger, type Rollup } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELPSTEER } from './attributes';
import { conditionPrompt } from './prompt-template';

// `import { conditionPrompt } from '@steerlm/core'` must bundle for the browser with no externals and
// run there: nothing reachable from the root entry may import a Node built-in. The app is bundled
// from the built package (dist, as an app would get it from npm), so `npm test` builds core first.
const app = fileURLToPath(new URL('../browser-app/', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const executablePath = process.env.STEERLM_CHROMIUM ?? '/usr/bin/chromium';
// Skips the browser run only on a developer machine without Chromium; in CI (CI=true) it fails instead.
const runInBrowser = existsSync(executablePath) || process.env.CI === 'true';

const expected = conditionPrompt({ prompt: 'Name a prime number.', attributes: { helpfulness: 4, verbosity: 1 }, schema: HELPSTEER });

const mimeTypes: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

/** Returns the text the app renders in headless Chromium from `files` (path → content) served at http://app.test/. */
async function renderInChromium(
  browser: Browser,
  files: ReadonlyMap<string, string>,
): Promise<{ status: string | undefined; text: string | null; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('requestfailed', (request) => errors.push(`${request.url()} failed`));
  await page.route('http://app.test/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    const body = files.get(path === '/' ? '/index.html' : path);
    await (body === undefined
      ? route.fulfill({ status: 404, body: 'not found' })
      : route.fulfill({ status: 200, contentType: mimeTypes[extname(path || '.html')] ?? 'text/html', body }));
  });
  await page.goto('http://app.test/');
  await page.waitForFunction(() => document.body.dataset.status !== undefined, undefined, { timeout: 20_000 });
  const result = { status: await page.evaluate(() => document.body.dataset.status), text: await page.textContent('#prompt'), errors };
  await page.close();
  return result;
}

describe('the root entry in a browser', () => {
  let outDir: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!existsSync(built)) throw new Error(`${built} is missing: build @steerlm/core first (npm test builds it)`);
    outDir = await mkdtemp(join(tmpdir(), 'steerlm-browser-bundle-'));
    if (runInBrowser) {
      browser = await chromium.launch({
        executablePath,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await rm(outDir, { recursive: true, force: true });
  });

  it('renders the expected prompt', () => {
    expect(expected).toContain('Name a prime number.');
    expect(expected).toContain('helpfulness:4');
    expect(expected.endsWith('\n')).toBe(true);
  });

  it('bundles with esbuild for the browser, no externals, and renders the prompt in Chromium', async () => {
    const result = await esbuild({
      entryPoints: [join(app, 'main.ts')],
      absWorkingDir: app,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*["'](node:)?(fs|fs\/promises|path|os|crypto)["']/);
    if (!browser) return;
    const html = (await readFile(join(app, 'index.html'), 'utf8')).replace('./main.ts', '/main.js');
    const page = await renderInChromium(
      browser,
      new Map([
        ['/index.html', html],
        ['/main.js', code],
      ]),
    );
    expect(page.errors).toEqual([]);
    expect(page.status).toBe('done');
    expect(page.text).toBe(expected);
  });

  it('bundles with Vite for the browser, nothing externalised, and renders the prompt in Chromium', async () => {
    const warnings: string[] = [];
    const logger = createLogger('warn', { allowClearScreen: false });
    logger.warn = (message) => void warnings.push(message);
    logger.warnOnce = (message) => void warnings.push(message);
    // A production build, as an app ships (vitest sets NODE_ENV=test, which makes Vite build for development).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    const output = (await viteBuild({
      root: app,
      configFile: false,
      logLevel: 'warn',
      customLogger: logger,
      mode: 'production',
      build: { outDir, emptyOutDir: true, write: false, minify: false, modulePreload: false },
    }).finally(() => {
      process.env.NODE_ENV = nodeEnv;
    })) as Rollup.RollupOutput | Rollup.RollupOutput[];
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((bundle) => bundle.output);
    // Vite turns a Node built-in into an empty "__vite-browser-external" module and only warns.
    expect(warnings.filter((warning) => /externali[sz]ed|browser compatibility/i.test(warning))).toEqual([]);
    const files = new Map(chunks.map((chunk) => [`/${chunk.fileName}`, chunk.type === 'chunk' ? chunk.code : String(chunk.source)]));
    for (const [name, content] of files) {
      expect(name).not.toContain('browser-external');
      expect(content, name).not.toContain('vite-browser-external');
    }
    expect(files.has('/index.html')).toBe(true);
    if (!browser) return;
    const page = await renderInChromium(browser, files);
    expect(page.errors).toEqual([]);
    expect(page.status).toBe('done');
    expect(page.text).toBe(expected);
  });
});
