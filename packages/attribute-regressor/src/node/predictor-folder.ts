import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelFormatError } from '@steerlm/core';
import { writeBytesAtomically, writeTextFileAtomically } from '@steerlm/core/node';
import { PREDICTOR_FILES } from '../persistence/predictor-config';
import type { PredictorFiles } from '../persistence/predictor-files';

/** Writes config.json and model.safetensors into `directory` (created when missing), each atomically, weights first. */
export async function writePredictorFiles(directory: string, files: PredictorFiles): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeBytesAtomically(join(directory, PREDICTOR_FILES.weights), files.weights);
  await writeTextFileAtomically(join(directory, PREDICTOR_FILES.config), files.config);
}

/** Returns the files of the predictor saved in `directory` and their paths; a missing file is a ModelFormatError. */
export async function readPredictorFiles(directory: string): Promise<{ files: PredictorFiles; paths: { config: string; weights: string } }> {
  const paths = { config: join(directory, PREDICTOR_FILES.config), weights: join(directory, PREDICTOR_FILES.weights) };
  let config: string;
  try {
    config = await readFile(paths.config, 'utf8');
  } catch (cause) {
    throw new ModelFormatError('cannot read the predictor config', { file: paths.config, cause, hint: 'pass a folder written by AttributePredictor.save' });
  }
  let weights: Uint8Array;
  try {
    weights = new Uint8Array(await readFile(paths.weights));
  } catch (cause) {
    throw new ModelFormatError('cannot read the predictor weights', { file: paths.weights, cause });
  }
  return { files: { config, weights }, paths };
}
