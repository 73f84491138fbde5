import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { build as esbuild } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

// `@steerlm/test-server/browser-bundle`, shared by the browser-bundle tests of the browser-safe packages:
// bundle a tiny app (browser-app/main.ts + index.html) for the browser with no externals, and render it
// in headless Chromium.

const executablePath = process.env.STEERLM_CHROMIUM ?? '/usr/bin/chromium';

/** Whether to run the bundles in Chromium: skipped only on a developer machine without it; in CI (CI=true) a missing Chromium fails. */
export const runInBrowser = existsSync(executablePath) || process.env.CI === 'true';

/** Returns headless Chromium (STEERLM_CHROMIUM, default /usr/bin/chromium). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
}

/** A Node built-in imported by bundled code (what a browser bundle must never contain). */
export const NODE_BUILTIN_IMPORT = /from\s*["'](node:)?(fs|fs\/promises|path|os|crypto)["']/;

/** What esbuild made of an app: its errors and warnings (as text) and the bundled code. */
export interface EsbuildBundle {
  readonly errors: string[];
  readonly warnings: string[];
  readonly code: string;
}

/**
 * Returns the app in `appFolder` (main.ts) bundled by esbuild for the browser, ESM, no externals. A
 * failed build is returned with its errors (e.g. `Could not resolve "node:fs"`), not thrown.
 */
export async function bundleWithEsbuild(appFolder: string): Promise<EsbuildBundle> {
  try {
    const result = await esbuild({
      entryPoints: [join(appFolder, 'main.ts')],
      absWorkingDir: appFolder,
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    return {
      errors: result.errors.map((message) => message.text),
      warnings: result.warnings.map((message) => message.text),
      code: result.outputFiles[0]!.text,
    };
  } catch (error) {
    const failure = error as { errors?: { text: string }[]; warnings?: { text: string }[] };
    if (!Array.isArray(failure.errors)) throw error;
    return { errors: failure.errors.map((message) => message.text), warnings: (failure.warnings ?? []).map((message) => message.text), code: '' };
  }
}

/** Returns the app's index.html with its script pointed at the bundle, served as /main.js. */
export async function bundledPage(appFolder: string): Promise<string> {
  return (await readFile(join(appFolder, 'index.html'), 'utf8')).replace('./main.ts', '/main.js');
}

const mimeTypes: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json' };

/** What the page showed: `document.body.dataset.status`, the text of `#output` and any page errors. */
export interface RenderedPage {
  readonly status: string | undefined;
  readonly text: string | null;
  readonly errors: string[];
}

/**
 * Returns what the app renders in headless Chromium from `files` (path → content) served at
 * http://app.test/: it waits for `document.body.dataset.status` and reads the element `#<outputId>`.
 */
export async function renderInChromium(browser: Browser, files: ReadonlyMap<string, string | Uint8Array>, outputId = 'output'): Promise<RenderedPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('requestfailed', (request) => errors.push(`${request.url()} failed`));
  await page.route('http://app.test/**', async (route) => {
    const requested = new URL(route.request().url()).pathname;
    const path = requested === '/' ? '/index.html' : requested;
    const body = files.get(path);
    await (body === undefined
      ? route.fulfill({ status: 404, body: 'not found' })
      : route.fulfill({
          status: 200,
          contentType: mimeTypes[extname(path)] ?? 'application/octet-stream',
          body: typeof body === 'string' ? body : Buffer.from(body),
        }));
  });
  await page.goto('http://app.test/');
  await page.waitForFunction(() => document.body.dataset.status !== undefined, undefined, { timeout: 20_000 });
  const result = { status: await page.evaluate(() => document.body.dataset.status), text: await page.textContent(`#${outputId}`), errors };
  await page.close();
  return result;
}
