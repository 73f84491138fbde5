/**
 * The code a worker thread runs to load one of this package's modules and call the function it exports
 * for workers (data-parallel training, the onnxruntime decode worker). The module is given by URL: this
 * package's built bundle, or a TypeScript source under test, which loads through tsx's loader registered
 * in the worker first.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Returns the file URL of tsx's ESM register API, resolved from `fromUrl` (for workers that load TypeScript sources). */
function tsxLoaderUrl(fromUrl: string): string {
  const require = createRequire(fromUrl);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifestPath), manifest.exports['./esm/api']!.import.default)).href;
}

/** Returns the source of an `eval: true` worker that imports `moduleUrl` and awaits its export `functionName()`. */
export function workerModuleSource(moduleUrl: string, functionName: string): string {
  const loader = /\.m?ts$/.test(moduleUrl) ? `await import(${JSON.stringify(tsxLoaderUrl(moduleUrl))}).then((api) => api.register());` : '';
  return `(async () => { ${loader} const module = await import(${JSON.stringify(moduleUrl)}); await module[${JSON.stringify(functionName)}](); })()`;
}
