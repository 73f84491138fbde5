import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';

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

/**
 * Returns the app's page with its script pointed at the bundle, served as /main.js: its own index.html,
 * or (without one) a page with an `#output` element and the script.
 */
export async function bundledPage(appFolder: string): Promise<string> {
  const own = join(appFolder, 'index.html');
  if (existsSync(own)) return (await readFile(own, 'utf8')).replace('./main.ts', '/main.js');
  const title = `${basename(join(appFolder, '..'))} in a browser`;
  return `<!doctype html>\n<html>\n  <head><meta charset="utf-8" /><title>${title}</title></head>\n  <body>\n    <pre id="output"></pre>\n    <script type="module" src="/main.js"></script>\n  </body>\n</html>\n`;
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

/**
 * Bundles the app in `appFolder` for the browser with esbuild and throws unless the bundle is clean (no
 * error, no warning, no import of a Node built-in). Then, given a browser, serves it with `files` beside
 * it and resolves to the JSON the page printed (throwing on a page error or a status other than 'done');
 * without a browser, resolves to null.
 */
export async function runBrowserApp(
  browser: Browser | undefined,
  appFolder: string,
  files: ReadonlyMap<string, string | Uint8Array> = new Map(),
): Promise<unknown> {
  const { errors, warnings, code } = await bundleWithEsbuild(appFolder);
  if (errors.length > 0 || warnings.length > 0) throw new Error(`esbuild reported ${[...errors, ...warnings].join('; ')}`);
  const builtin = NODE_BUILTIN_IMPORT.exec(code);
  if (builtin) throw new Error(`the browser bundle imports a Node built-in: ${builtin[0]}`);
  if (!browser) return null;
  const page = await renderInChromium(browser, new Map([['/index.html', await bundledPage(appFolder)], ['/main.js', code], ...files]));
  if (page.errors.length > 0 || page.status !== 'done') throw new Error(`the page ended with status ${page.status}: ${page.errors.join('; ')}`);
  return JSON.parse(page.text!) as unknown;
}

/**
 * Defines the browser-bundle suite of the package whose test file is `testFileUrl`: its built dist must
 * exist (npm test builds it), Chromium is launched once when available, and `define(run)` adds the tests,
 * `run(files)` being runBrowserApp on the package's browser-app/ folder.
 */
export function describeBrowserApp(testFileUrl: string, define: (run: (files?: ReadonlyMap<string, string | Uint8Array>) => Promise<unknown>) => void): void {
  const app = fileURLToPath(new URL('../browser-app/', testFileUrl));
  const built = fileURLToPath(new URL('../dist/index.js', testFileUrl));
  describe('the root entry in a browser', () => {
    let browser: Browser | undefined;
    beforeAll(async () => {
      if (!existsSync(built)) throw new Error(`${built} is missing: build the package first (npm test builds it)`);
      if (runInBrowser) browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });
    define((files) => runBrowserApp(browser, app, files));
  });
}
