/**
 * The files the static playground serves beside its page: `playground.js` (the browser bundle of
 * browser/playground-app.ts: @steerlm/core, @steerlm/sft/browser, the tokenizer library and
 * onnxruntime-web) and onnxruntime-web's WebAssembly runtime. The package build writes them into
 * dist/playground/; run from source (tests), they are bundled on first use.
 */
import { copyFile, mkdir, mkdtemp, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The browser bundle's file name. */
export const PLAYGROUND_BUNDLE = 'playground.js';

/**
 * onnxruntime-web's runtime, loaded by the bundle from beside the page: the build with both the WebGPU
 * and the wasm execution providers (what `import 'onnxruntime-web'` loads).
 */
export const ONNXRUNTIME_WEB_FILES = Object.freeze(['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs']);

/** The license notices of the code bundled into {@link PLAYGROUND_BUNDLE} (the bundle names this file). */
export const PLAYGROUND_LICENSES = `${PLAYGROUND_BUNDLE}.LEGAL.txt`;

/** Every asset beside the page. */
export const PLAYGROUND_ASSETS = Object.freeze([PLAYGROUND_BUNDLE, PLAYGROUND_LICENSES, ...ONNXRUNTIME_WEB_FILES]);

const sourceEntry = fileURLToPath(new URL('./browser/playground-app.ts', import.meta.url));

/**
 * Writes the playground assets into `outDir`: bundles browser/playground-app.ts for browsers with
 * esbuild (a build-time tool: the package build runs this, a published package ships the result) and
 * copies the onnxruntime-web runtime of the same installed version.
 */
export async function bundlePlayground(outDir: string, options: { minify?: boolean; entry?: string } = {}): Promise<void> {
  const entry = options.entry ?? sourceEntry;
  const { build } = await import('esbuild');
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: join(outDir, PLAYGROUND_BUNDLE),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    legalComments: 'linked',
    logLevel: 'silent',
    // One onnxruntime-web in the page: the tokenizer library's (transformers.js) import of its WebGPU build is ours.
    alias: { 'onnxruntime-web/webgpu': 'onnxruntime-web' },
    conditions: ['browser', 'import', 'default'],
  });
  const require = createRequire(entry);
  for (const file of ONNXRUNTIME_WEB_FILES) await copyFile(require.resolve(`onnxruntime-web/${file}`), join(outDir, file));
}

let fromSource: Promise<string> | undefined;

/**
 * Resolves to the folder holding {@link PLAYGROUND_ASSETS}: dist/playground/ of the built package, or
 * (run from source) a temporary folder bundled once per process.
 */
export async function playgroundAssetsFolder(): Promise<string> {
  const built = fileURLToPath(new URL('./playground/', import.meta.url));
  const present = await stat(join(built, PLAYGROUND_BUNDLE)).then(
    (info) => info.isFile(),
    () => false,
  );
  if (present) return built;
  fromSource ??= (async () => {
    const folder = await mkdtemp(join(tmpdir(), 'steerlm-playground-'));
    await bundlePlayground(folder);
    return folder;
  })();
  return fromSource;
}
