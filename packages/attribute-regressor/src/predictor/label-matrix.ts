import { InvalidAttributeError, type AttributeSchema } from '@steerlm/core';
import type { TrainingExample } from './predictor-types';

/** NeMo-Aligner's marker of a missing attribute label. */
export const MISSING_LABEL = -100;

/** Returns the labels of examples as row-major targets and a mask, checking names and ranges. */
export function labelMatrix(labels: readonly TrainingExample['labels'][], schema: AttributeSchema): { targets: Float32Array; mask: Uint8Array } {
  const outputs = schema.names.length;
  const targets = new Float32Array(labels.length * outputs);
  const mask = new Uint8Array(labels.length * outputs);
  labels.forEach((row, index) => {
    for (const [name, value] of Object.entries(row ?? {})) {
      const column = schema.indexOf(name);
      if (column === -1) {
        throw new InvalidAttributeError(`example ${index} has a label for unknown attribute "${name}"`, {
          attribute: name,
          field: `examples[${index}].labels.${name}`,
          hint: `known attributes: ${schema.names.join(', ')}; drop other labels before training`,
        });
      }
      if (value === undefined || value === null || Number.isNaN(value) || value === MISSING_LABEL) continue;
      const definition = schema.attributes[column]!;
      if (typeof value !== 'number' || value < definition.min || value > definition.max) {
        throw new InvalidAttributeError(`example ${index} labels "${name}" ${String(value)}, outside ${definition.min}..${definition.max}`, {
          attribute: name,
          field: `examples[${index}].labels.${name}`,
          hint: `use ${MISSING_LABEL} or leave the label out when it is missing`,
        });
      }
      targets[index * outputs + column] = value;
      mask[index * outputs + column] = 1;
    }
  });
  return { targets, mask };
}
