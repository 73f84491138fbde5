import { DECODE_ENGINES } from '@steerlm/sft';
import type { OptionSpecs } from '../cli';

/** The --engine option of commands that decode with a local model: which decode engine generates text. */
export const ENGINE_OPTION = {
  engine: {
    kind: 'string',
    choices: DECODE_ENGINES,
    description:
      'the decode engine of a local model folder: onnxruntime (our ONNX export on onnxruntime-node, made in memory), tfjs (the --backend forward pass), or auto (default: onnxruntime where it loads, else tfjs)',
  },
} as const satisfies OptionSpecs;
