import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { defineCommand } from '../cli';
import { readSteeringSettings, resolveModelFolder, selectComputeBackend, STEERING_SETTINGS_FILE } from '../models';
import { formatTable } from '../output';
import { BACKEND_OPTION } from './backend-option';

/** `steerlm export`: a trained model as a Hugging Face folder and/or ONNX for transformers.js. */
export const exportCommand = defineCommand({
  name: 'export',
  summary: 'export a trained model folder for Hugging Face transformers (safetensors) and transformers.js (ONNX)',
  options: {
    model: {
      kind: 'string',
      valueName: 'MODEL',
      required: true,
      description: 'a model folder, e.g. the final/ of "steerlm sft train", or a Hugging Face Hub id org/name[@revision]',
    },
    output: { kind: 'string', valueName: 'DIR', required: true, description: 'the folder to write' },
    format: {
      kind: 'string',
      default: 'both',
      choices: ['hf', 'onnx', 'both'],
      description: 'hf: safetensors + config + tokenizer; onnx: onnx/model.onnx as well',
    },
    dtype: { kind: 'string', default: 'F32', choices: ['F32', 'F16', 'BF16'], description: 'the stored dtype of the safetensors weights' },
    'max-shard-bytes': { kind: 'integer', min: 1_000_000, description: 'split the safetensors weights into shards of at most this size' },
    ...BACKEND_OPTION,
  },
  details: `Example:
  steerlm export --model runs/sft/final --output exported/my-steerlm --format both`,
  async run(values, _positionals, context) {
    const compute = await selectComputeBackend(values.backend);
    context.note(`backend ${compute.backend} · ${compute.device}`);
    const sft = await import('@steerlm/sft');
    const { folder } = await resolveModelFolder(values.model, { onProgress: context.progress });
    const model = await sft.DecoderModel.load(folder);
    try {
      if (values.format !== 'onnx') {
        await sft.exportHuggingFace(model, folder, values.output, {
          dtype: values.dtype as 'F32' | 'F16' | 'BF16',
          ...(values['max-shard-bytes'] !== undefined ? { maxShardBytes: values['max-shard-bytes'] } : {}),
        });
      }
      const onnx = values.format !== 'hf' ? await sft.exportOnnx(model, folder, values.output) : undefined;
      // The schema and template travel with the export (checked first), so a playground or server steers it as trained.
      if ((await readSteeringSettings(folder)) !== undefined) await copyFile(join(folder, STEERING_SETTINGS_FILE), join(values.output, STEERING_SETTINGS_FILE));
      const files = (await readdir(values.output, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) =>
          join(entry.parentPath, entry.name)
            .slice(values.output.length)
            .replace(/^[/\\]/, ''),
        )
        .sort();
      if (!context.json) {
        context.stdout.write(formatTable(files.map((file) => ({ file }))));
        context.stdout.write(`exported to ${values.output}\n`);
      }
      return { output: values.output, files, ...(onnx ? { onnxBytes: onnx.modelBytes + onnx.externalBytes } : {}) };
    } finally {
      model.dispose();
    }
  },
});
