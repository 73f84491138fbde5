import type { DecodeEngineName } from '@steerlm/sft';
import type { OptionSpecs } from '../cli';
import { BUILTIN_MODELS, SCHEMA_NAMES } from '../models';
import { BACKEND_OPTION } from './backend-option';
import { ENGINE_OPTION } from './engine-option';

/** The options of commands that run a model: which model and which attribute schema. */
export const MODEL_OPTIONS = {
  model: {
    kind: 'string',
    valueName: 'MODEL',
    required: true,
    description: `a model folder (config.json, safetensors, tokenizer.json), a Hugging Face Hub id org/name[@revision] (fetched into the Hugging Face cache; HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE), an OpenAI-compatible http(s)://…/v1 endpoint, or a built-in model (${BUILTIN_MODELS.join(', ')})`,
  },
  schema: {
    kind: 'string',
    choices: SCHEMA_NAMES,
    description: 'the attribute schema the model was trained with (default: the one its folder records in steerlm.json, else steerlm)',
  },
  ...BACKEND_OPTION,
  ...ENGINE_OPTION,
} as const satisfies OptionSpecs;

/** The --model option of the commands that use an attribute predictor as the model (apm eval, apm annotate). */
export const PREDICTOR_OPTION = {
  model: { kind: 'string', valueName: 'DIR', required: true, description: 'a predictor saved by "steerlm apm train"' },
} as const satisfies OptionSpecs;

/** Returns the loadLanguageModel options of a command's --backend and --engine values (absent ones left out). */
export function modelLoadOptions(values: { backend?: string | undefined; engine?: string | undefined }): { backend?: string; engine?: DecodeEngineName } {
  return {
    ...(values.backend !== undefined ? { backend: values.backend } : {}),
    ...(values.engine !== undefined ? { engine: values.engine as DecodeEngineName } : {}),
  };
}
