import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AttributeSchema } from '@steerlm/core';
import { writeTextFileAtomically } from '@steerlm/core/node';
import type { DecoderModel, TokenizerJson } from '@steerlm/sft';
import { writeSteeringSettings } from '../models';

/**
 * Writes a demo model as a folder `steerlm generate --model` and `serve` take: the weights and config
 * (unless `weightsSaved`: the training worker wrote them), the demo's tokenizer, and for a conditioned
 * model the schema it was trained on (steerlm.json). Returns the folder.
 */
export async function saveDemoModel(
  folder: string,
  files: { model: DecoderModel; weightsSaved?: boolean; tokenizerJson: TokenizerJson; tokenizerConfig: Record<string, unknown>; schema?: AttributeSchema },
): Promise<string> {
  await mkdir(folder, { recursive: true });
  if (files.weightsSaved !== true) await files.model.save(folder);
  await writeTextFileAtomically(join(folder, 'tokenizer.json'), JSON.stringify(files.tokenizerJson));
  await writeTextFileAtomically(join(folder, 'tokenizer_config.json'), `${JSON.stringify(files.tokenizerConfig, null, 2)}\n`);
  if (files.schema !== undefined) await writeSteeringSettings(folder, { schema: files.schema });
  return folder;
}
