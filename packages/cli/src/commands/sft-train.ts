import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatAttributes, InvalidOptionError, type Conversation } from '@steerlm/core';
import { defineCommand } from '../cli';
import { resolveModelFolder, schemaByName, SCHEMA_NAMES, selectComputeBackend } from '../models';
import { formatTable } from '../output';
import { BACKEND_OPTION } from './backend-option';
import { readConversations } from './read-conversations';
import { commonTrainOptions, saveFinalModel } from './final-model';
import { runSteerLM2Training } from './sft-train-steerlm2';

/** Model sizes `--init` creates from scratch (Llama family). */
const INIT_SIZES = {
  tiny: { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512 },
  small: { hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024 },
} as const;

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

function conversationTexts(conversations: readonly Conversation[], schema: Parameters<typeof formatAttributes>[1]): string[] {
  return conversations.flatMap((conversation) => [
    conversation.system ?? '',
    ...conversation.turns.flatMap((turn) => [turn.text, turn.attributes ? formatAttributes(turn.attributes, schema) : '']),
  ]);
}

/** `steerlm sft train`: attribute-conditioned SFT (SteerLM step 3), resumable. */
export const sftTrainCommand = defineCommand({
  name: 'sft train',
  summary: 'fine-tune a decoder on attribute-labelled conversations (SteerLM step 3); --resume continues a run',
  options: {
    data: {
      kind: 'string',
      valueName: 'FILE',
      required: true,
      description: 'NeMo-Aligner SteerLM JSONL (VALUE_TO_TEXT records) to train on; SteerLM 2.0 records with --objective steerlm2',
    },
    objective: {
      kind: 'string',
      default: 'sft',
      choices: ['sft', 'steerlm2'],
      description: 'sft: conditioned SFT; steerlm2: SteerLM 2.0 on "steerlm bootstrap --steerlm2" records (needs --model; --batch-size counts prompts)',
    },
    validation: { kind: 'string', valueName: 'FILE', description: 'NeMo JSONL held out for validation loss' },
    output: {
      kind: 'string',
      valueName: 'DIR',
      required: true,
      description: 'run folder: checkpoints, metrics.jsonl, loss-curve.svg and final/ (the trained model)',
    },
    model: {
      kind: 'string',
      valueName: 'MODEL',
      description:
        'the model to start from (Llama or GPT-2 family): a Hugging Face model folder, or a Hub id org/name[@revision] (fetched into the Hugging Face cache)',
    },
    init: {
      kind: 'string',
      choices: Object.keys(INIT_SIZES),
      description: 'instead of --model: a new model of this size with a byte-level BPE tokenizer trained on --data',
    },
    'vocab-size': { kind: 'integer', min: 300, default: 2000, description: 'with --init: the tokenizer vocabulary size' },
    schema: { kind: 'string', default: 'steerlm', choices: SCHEMA_NAMES, description: 'the attribute schema of the labels' },
    epochs: { kind: 'integer', min: 1, default: 1, description: 'passes over the data' },
    'max-steps': { kind: 'integer', min: 1, description: 'stop after this many optimizer steps' },
    'batch-size': { kind: 'integer', min: 1, default: 8, description: 'records per step' },
    'learning-rate': { kind: 'number', min: 0, default: 3e-4, description: 'peak learning rate' },
    'max-sequence-length': { kind: 'integer', min: 8, description: "tokens per record (default: min(512, the model's positions))" },
    'attribute-dropout': { kind: 'number', min: 0, default: 0, description: 'probability of dropping each attribute from a label' },
    'lora-rank': { kind: 'integer', min: 1, description: 'train LoRA adapters of this rank instead of all weights (merged into final/)' },
    'checkpoint-every': { kind: 'integer', min: 1, description: 'steps between checkpoints' },
    resume: { kind: 'boolean', description: 'continue from the newest checkpoint in --output, with the same data and options (--max-steps may change)' },
    overwrite: { kind: 'boolean', description: 'replace the run already in --output (without it, or --resume, such a folder is refused)' },
    seed: { kind: 'integer', default: 0, description: 'seeds initialisation, shuffling and dropout' },
    precision: {
      kind: 'string',
      default: 'f32',
      choices: ['f32', 'mixed'],
      description:
        'mixed: f16 weights copies, activations and matmul operands with f32 master weights, accumulation and AdamW, and dynamic loss scaling (webgpu with shader-f16; f32 elsewhere, with a warning)',
    },
    ...BACKEND_OPTION,
    workers: {
      kind: 'integer',
      min: 1,
      default: 1,
      description:
        "data-parallel worker threads on the cpu and wasm backends: each step's rows split over N model replicas, gradients and AdamW sharded in shared memory (full fine-tuning in f32; not with --lora-rank)",
    },
    'host-matmul': {
      kind: 'string',
      choices: ['auto', 'mlas', 'backend'],
      default: 'auto',
      description:
        "the matmul kernels on the cpu and wasm backends: mlas (onnxruntime's native GEMM, the fastest), backend (tfjs's own: XNNPACK on wasm), auto (env STEERLM_HOST_MATMUL, else mlas)",
    },
  },
  details: `Examples:
  steerlm sft train --data train.jsonl --init tiny --output runs/tiny --max-steps 200
  steerlm sft train --data train.jsonl --model models/base --output runs/sft --lora-rank 8 --epochs 2
  steerlm sft train --data train.jsonl --model models/base --output runs/sft --lora-rank 8 --epochs 2 --resume
  steerlm sft train --objective steerlm2 --data steerlm2.jsonl --model runs/sft/final --output runs/steerlm2 --learning-rate 1e-5

One run per --output folder. It ends with final/ (the model) holding run.json, which says whether the run
completed; an interrupted run (SIGINT/SIGTERM) saves a checkpoint and final/, says "completed": false, and
exits 130.`,
  async run(values, _positionals, context) {
    const sft = await import('@steerlm/sft');
    // --host-matmul holds for this command only (the CLI may run in-process, as the tests do).
    const engine = values['host-matmul'] as 'auto' | 'mlas' | 'backend';
    const previousEngine = engine === 'auto' ? undefined : sft.setHostMatmulEngine(engine);
    const runTraining = async () => {
      if ((values.model === undefined) === (values.init === undefined)) {
        throw new InvalidOptionError('give exactly one of --model FOLDER (fine-tune) or --init tiny|small (train from scratch)', { option: 'model' });
      }
      const schema = schemaByName(values.schema);
      const compute = await selectComputeBackend(values.backend);
      // On cpu/wasm the device line says whether the matmuls run on MLAS (after --host-matmul took effect).
      context.note(`backend ${compute.backend} · ${compute.device}`);
      // One run per folder, for either objective: another run is refused unless --resume or --overwrite.
      await sft.prepareRunFolder(values.output, { resume: values.resume === true, overwrite: values.overwrite === true, extraEntries: ['base'] });
      if (values.objective === 'steerlm2') {
        if (values.precision !== 'f32') {
          throw new InvalidOptionError('--precision mixed trains conditioned SFT (--objective sft); SteerLM 2.0 trains in f32', { option: 'precision' });
        }
        if (values.workers > 1) {
          throw new InvalidOptionError('--workers trains conditioned SFT (--objective sft); SteerLM 2.0 trains on one thread', { option: 'workers' });
        }
        return runSteerLM2Training(values, schema, compute.backend, context);
      }
      const train = await readConversations(values.data, schema);
      const validation = values.validation !== undefined ? await readConversations(values.validation, schema) : undefined;
      context.note(`data ${train.length} records${validation ? `, validation ${validation.length}` : ''}`);

      // A Hub id (org/name[@revision]) is fetched into the Hugging Face cache; its snapshot is the base.
      let base = values.model !== undefined ? (await resolveModelFolder(values.model, { onProgress: context.progress })).folder : undefined;
      if (values.init !== undefined) {
        base = join(values.output, 'base');
        if (values.resume && !(await exists(join(base, 'config.json')))) {
          throw new InvalidOptionError(`--resume: ${base} holds no model; the run to resume has not started`, {
            option: 'resume',
            hint: 'drop --resume to start it',
          });
        }
        if (!values.resume) {
          await mkdir(base, { recursive: true });
          const trained = await sft.trainByteLevelBpe(conversationTexts(train, schema), { vocabSize: values['vocab-size'], signal: context.signal });
          await sft.writeByteLevelBpeTokenizer(base, trained);
          const config = sft.parseModelConfig({
            architectures: ['LlamaForCausalLM'],
            vocab_size: trained.vocab.size,
            tie_word_embeddings: true,
            ...INIT_SIZES[values.init as keyof typeof INIT_SIZES],
          });
          context.signal.throwIfAborted();
          const created = sft.DecoderModel.create(config, { seed: values.seed });
          await created.save(base);
          created.dispose();
          context.note(`new ${values.init} model with a ${trained.vocab.size}-token tokenizer in ${base}`);
        }
      }
      const model = await sft.DecoderModel.load(base!);
      const tokenizer = await sft.loadTokenizer(base!);
      context.note(`model ${base} · ${model.parameterCount().toLocaleString('en-US')} parameters`);
      if (values.resume) {
        const from = await sft.findResumeCheckpoint(values.output);
        context.note(`resuming from ${from} (step ${(await sft.readCheckpointState(from)).position.step})`);
      }
      if (context.signal.aborted) {
        model.dispose();
        context.signal.throwIfAborted();
      }

      const { summary } = await sft.trainConditionedSFT({
        model,
        tokenizer,
        train,
        ...(validation ? { validation } : {}),
        schema,
        batchSize: values['batch-size'],
        attributeDropout: values['attribute-dropout'],
        precision: values.precision as 'f32' | 'mixed',
        workers: values.workers,
        ...commonTrainOptions(values, model, context),
      });
      const final = await saveFinalModel(model, base!, values.output, { schema, schemaName: values.schema });
      await sft.writeRunStatus(join(final, sft.RUN_STATUS_FILE), {
        status: summary.completed ? 'completed' : 'interrupted',
        completed: summary.completed,
        steps: summary.steps,
        totalSteps: summary.totalSteps,
        ...(summary.resumedFrom ? { resumedFrom: summary.resumedFrom } : {}),
      });
      // A resume of a run that had already done every planned step trains nothing: say so, rather than
      // print this run's empty loss (NaN) and throughput (0).
      const alreadyComplete = summary.completed && summary.resumedFrom !== undefined && summary.resumedFrom.step >= summary.totalSteps;
      const result = {
        ...summary,
        lossCurve: undefined,
        final,
        backend: compute.backend,
        interrupted: !summary.completed,
        ...(alreadyComplete ? { alreadyComplete: true } : {}),
      };
      if (!context.json && alreadyComplete) {
        context.stdout.write(
          `already complete at step ${summary.steps} of ${summary.totalSteps}: nothing left to train (raise --max-steps or --epochs to train further)\n`,
        );
        context.stdout.write(`trained model: ${final}\n`);
      } else if (!context.json) {
        context.stdout.write(
          formatTable([
            {
              steps: summary.steps,
              epochs: summary.epochs,
              records: summary.records,
              'final loss': summary.finalLoss,
              'validation loss': summary.validationLoss,
              'tokens/s': summary.tokensPerSecond,
              seconds: summary.elapsedMs / 1000,
              precision: summary.precision.used,
              ...(summary.lossScale !== undefined ? { 'loss scale': summary.lossScale, 'skipped steps': summary.skippedSteps } : {}),
              ...(summary.workers > 1 ? { workers: summary.workers } : {}),
            },
          ]),
        );
        context.stdout.write(
          `trained model: ${final}${summary.completed ? '' : ` (interrupted at step ${summary.steps} of ${summary.totalSteps}; continue with --resume)`}\n`,
        );
      }
      return result;
    };
    try {
      return await runTraining();
    } finally {
      if (previousEngine !== undefined) sft.setHostMatmulEngine(previousEngine);
    }
  },
});
