import { ModelFormatError } from '@steerlm/core';

/** Returns the error for a tensor name that `file` (a safetensors file or checkpoint holding `held` tensors) lacks. */
export function missingTensorError(name: string, file: string, held: number, holder: 'file' | 'checkpoint'): ModelFormatError {
  return new ModelFormatError(`missing tensor "${name}" (the ${holder} holds ${held} tensors)`, {
    file,
    field: name,
    hint: 'check the tensor name against the model architecture, or the checkpoint is incomplete',
  });
}
