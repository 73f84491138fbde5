import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidOptionError } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import { playgroundPage } from '../server/playground-page';
import { PLAYGROUND_ASSETS, playgroundAssetsFolder } from './playground-bundle';

/** The static playground's page. */
export const PLAYGROUND_PAGE = 'index.html';

/**
 * Writes the static playground into `outDir` (created if needed): `index.html` (the playground page in
 * its in-page mode), `playground.js` and onnxruntime-web's runtime. Any static file server can serve
 * the folder; the page runs the model folder the user picks in the browser, with no server of ours.
 * Resolves to the file names written.
 */
export async function writePlaygroundFolder(outDir: string): Promise<string[]> {
  const existing = await stat(outDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new InvalidOptionError('the output path exists and is not a folder', { option: 'out', file: outDir, hint: 'give a new or existing folder' });
  }
  await mkdir(outDir, { recursive: true });
  const assets = await playgroundAssetsFolder();
  for (const file of PLAYGROUND_ASSETS) await copyFile(join(assets, file), join(outDir, file));
  await writeTextFileAtomically(join(outDir, PLAYGROUND_PAGE), playgroundPage({ modelId: 'in this page', needsApiKey: false, inPage: true }));
  return [PLAYGROUND_PAGE, ...PLAYGROUND_ASSETS];
}
