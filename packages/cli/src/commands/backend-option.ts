import type { OptionSpecs } from '../cli';

/** The --backend option of commands that run tfjs: the backend to try first. */
export const BACKEND_OPTION = {
  backend: {
    kind: 'string',
    choices: ['tensorflow', 'webgpu', 'wasm', 'cpu'],
    description:
      'the compute backend to try first (default: the best available: tensorflow > webgpu > wasm > cpu; a software WebGPU adapter such as lavapipe only when named here)',
  },
} as const satisfies OptionSpecs;
