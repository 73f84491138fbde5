/** Point tfjs-backend-wasm at its own dist folder in Node, where it cannot guess the URL. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Returns true when the wasm paths were set to the package's dist folder (Node only). */
export function ensureWasmPaths(): boolean {
  if (typeof process === 'undefined' || process.versions?.node === undefined) return false;
  try {
    const require = createRequire(import.meta.url);
    const packageJson = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
    setWasmPaths(join(dirname(packageJson), 'dist') + '/');
    return true;
  } catch {
    return false;
  }
}
