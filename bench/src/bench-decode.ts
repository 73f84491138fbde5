/**
 * The decoding benchmark: greedy KV-cache decoding tokens/s of our decode engines (tfjs on the backend
 * selectBackend picks, or on cpu/wasm by name; onnxruntime, our engine running our ONNX export on
 * onnxruntime-node) against transformers.js running the same export of the same weights (onnxruntime-node, CPU).
 * Usage: npm run bench:decode -- [--shapes tiny,25m] [--batches 1,16] [--engines tfjs,tfjs-cpu,tfjs-wasm,onnxruntime,transformers.js]
 *        [--prompt-tokens 8] [--new-tokens 16] [--seed 0] [--repeats 3]
 * Decode tokens/s = batch × (new tokens − 1) / time from the first generated token to the last, so the
 * prefill (timed apart) is left out. On a shared machine wall time depends on the load, so the process
 * CPU time of the decode (all threads) is reported too, as tokens per CPU-second. The last line printed
 * is one JSON object. Each configuration runs `--repeats` times after a warm-up; the run with the median
 * tokens per CPU-second is reported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import {
  DecoderModel,
  exportOnnx,
  generateTokens,
  OnnxruntimeDecoder,
  selectBackend,
  trainByteLevelBpe,
  writeByteLevelBpeTokenizer,
  type DecodeSession,
} from '@steerlm/sft';
import { DECODE_SHAPES } from './models/decode-shapes';

const SHAPES = DECODE_SHAPES;

const ENGINES = ['tfjs', 'tfjs-cpu', 'tfjs-wasm', 'onnxruntime', 'transformers.js'] as const;
const DEFAULT_ENGINES: readonly Engine[] = ['tfjs-wasm', 'onnxruntime', 'transformers.js'];
type Engine = (typeof ENGINES)[number];

const { values: args } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'tiny,25m' },
    batches: { type: 'string', default: '1,16' },
    engines: { type: 'string', default: DEFAULT_ENGINES.join(',') },
    'prompt-tokens': { type: 'string', default: '8' },
    'new-tokens': { type: 'string', default: '16' },
    seed: { type: 'string', default: '0' },
    repeats: { type: 'string', default: '3' },
  },
});

const shapes = args.shapes!.split(',');
const batches = args.batches!.split(',').map(Number);
const engines = args.engines!.split(',') as Engine[];
const promptTokens = Number(args['prompt-tokens']);
const newTokens = Number(args['new-tokens']);
const seed = Number(args.seed);
const repeats = Number(args.repeats);
for (const shape of shapes) if (!(shape in SHAPES)) throw new Error(`unknown shape "${shape}" (known: ${Object.keys(SHAPES).join(', ')})`);
for (const engine of engines) if (!ENGINES.includes(engine)) throw new Error(`unknown engine "${engine}" (known: ${ENGINES.join(', ')})`);
if (!(newTokens >= 2 && promptTokens >= 1)) throw new Error('--new-tokens must be >= 2 and --prompt-tokens >= 1');
if (!(Number.isInteger(repeats) && repeats >= 1)) throw new Error('--repeats must be an integer >= 1');

/** One measured configuration. */
interface DecodeResult {
  shape: string;
  parameters: number;
  batch: number;
  engine: Engine;
  /** The tfjs backend of a tfjs engine; `onnxruntime-node` otherwise. */
  backend: string;
  prefillMs: number;
  decodeTokensPerSecond: number;
  /** batch × (new tokens − 1) per second of process CPU time (user + system, every thread). */
  decodeTokensPerCpuSecond: number;
  /** The tokens of row 0, to check that the engines agree. */
  firstRow: number[];
}

/** The slice of transformers.js used here (a foreign boundary, typed narrowly). */
interface TransformersModule {
  env: { allowRemoteModels: boolean; useFSCache: boolean };
  AutoModelForCausalLM: {
    from_pretrained(
      path: string,
      options: Record<string, unknown>,
    ): Promise<{ generate(options: Record<string, unknown>): Promise<{ data: BigInt64Array }>; dispose(): Promise<unknown> }>;
  };
  Tensor: new (type: 'int64', data: BigInt64Array, dims: number[]) => unknown;
}

function prompts(batch: number, vocab: number): number[][] {
  let state = seed + 12345;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: batch }, () => Array.from({ length: promptTokens }, () => next() % vocab));
}

/** One timed greedy run: prefill ms, then wall and CPU seconds from the first generated token to the last. */
interface RunTiming {
  prefillMs: number;
  decodeSeconds: number;
  decodeCpuSeconds: number;
  firstRow: number[];
}

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Returns the timing of one greedy run of ours (the tfjs decode of `source`, or an onnxruntime session). */
async function runOurs(source: () => DecoderModel | DecodeSession, rows: number[][], tokens: number): Promise<RunTiming> {
  const started = performance.now();
  let firstAt = 0;
  let lastAt = 0;
  let firstCpu = 0;
  let lastCpu = 0;
  const firstRow: number[] = [];
  for await (const step of generateTokens(source(), rows, { maxTokens: tokens, temperature: 0 })) {
    lastAt = performance.now();
    lastCpu = cpuSeconds();
    if (step.step === 0) [firstAt, firstCpu] = [lastAt, lastCpu];
    firstRow.push(step.tokens[0]!);
  }
  return { prefillMs: firstAt - started, decodeSeconds: (lastAt - firstAt) / 1000, decodeCpuSeconds: lastCpu - firstCpu, firstRow };
}

/** Returns the timing of one greedy transformers.js generate. */
async function runTransformers(
  transformers: TransformersModule,
  model: Awaited<ReturnType<TransformersModule['AutoModelForCausalLM']['from_pretrained']>>,
  rows: number[][],
  tokens: number,
): Promise<RunTiming> {
  const ids = new transformers.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, promptTokens]);
  const mask = new transformers.Tensor('int64', new BigInt64Array(rows.length * promptTokens).fill(1n), [rows.length, promptTokens]);
  const stamps: number[] = [];
  const cpuStamps: number[] = [];
  const streamer = {
    put: () => {
      stamps.push(performance.now());
      cpuStamps.push(cpuSeconds());
    },
    end: () => undefined,
  };
  const started = performance.now();
  const output = await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: tokens, do_sample: false, eos_token_id: null, streamer });
  // stamps[0] is the prompt, stamps[1] the first generated token.
  const firstRow = Array.from(output.data.subarray(promptTokens, promptTokens + tokens), Number);
  return {
    prefillMs: stamps[1]! - started,
    decodeSeconds: (stamps.at(-1)! - stamps[1]!) / 1000,
    decodeCpuSeconds: cpuStamps.at(-1)! - cpuStamps[1]!,
    firstRow,
  };
}

const results: DecodeResult[] = [];
const root = await mkdtemp(join(tmpdir(), 'steerlm-bench-decode-'));
try {
  const tokenizerFolder = join(root, 'tokenizer');
  const corpus = Array.from({ length: 200 }, (_, index) => `decoding benchmark sentence number ${index} with a few words`);
  await writeByteLevelBpeTokenizer(tokenizerFolder, await trainByteLevelBpe(corpus, { vocabSize: 400 }));
  for (const shape of shapes) {
    const config = SHAPES[shape]!();
    for (const engine of engines) {
      let runner: (rows: number[][], tokens: number) => Promise<RunTiming>;
      let release: () => Promise<void>;
      let parameters: number;
      let backend = 'onnxruntime-node';
      if (engine === 'transformers.js') {
        await tf.setBackend('cpu');
        const model = DecoderModel.create(config, { seed });
        parameters = model.parameterCount();
        const folder = join(root, shape);
        await exportOnnx(model, tokenizerFolder, folder, { generation: { eosTokenIds: [] } });
        model.dispose();
        const transformers = (await import('@huggingface/transformers')) as unknown as TransformersModule;
        transformers.env.allowRemoteModels = false;
        transformers.env.useFSCache = false;
        const loaded = await transformers.AutoModelForCausalLM.from_pretrained(folder, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
        runner = (rows, tokens) => runTransformers(transformers, loaded, rows, tokens);
        release = async () => void (await loaded.dispose());
      } else if (engine === 'onnxruntime') {
        await tf.setBackend('cpu');
        const model = DecoderModel.create(config, { seed });
        parameters = model.parameterCount();
        const decoder = await OnnxruntimeDecoder.create(model);
        console.log(`${shape}: onnxruntime export and session ${decoder.buildMs.toFixed(0)} ms`);
        runner = (rows, tokens) => runOurs(() => decoder.startDecode(), rows, tokens);
        release = async () => {
          decoder.release();
          model.dispose();
        };
      } else {
        backend = (engine === 'tfjs' ? await selectBackend() : await selectBackend({ prefer: engine === 'tfjs-cpu' ? 'cpu' : 'wasm', strict: true })).backend;
        const model = DecoderModel.create(config, { seed });
        parameters = model.parameterCount();
        runner = (rows, tokens) => runOurs(() => model, rows, tokens);
        release = async () => model.dispose();
      }
      for (const batch of batches) {
        const rows = prompts(batch, config.vocabSize);
        await runner(rows, 2);
        // The run with the median tokens per CPU-second of `repeats` (other work on a shared machine moves single runs a lot).
        const runs: RunTiming[] = [];
        for (let index = 0; index < repeats; index++) runs.push(await runner(rows, newTokens));
        runs.sort((a, b) => a.decodeCpuSeconds - b.decodeCpuSeconds);
        const { prefillMs, decodeSeconds, decodeCpuSeconds, firstRow } = runs[Math.floor(runs.length / 2)]!;
        const decodeTokensPerSecond = (batch * (newTokens - 1)) / decodeSeconds;
        const decodeTokensPerCpuSecond = (batch * (newTokens - 1)) / decodeCpuSeconds;
        results.push({ shape, parameters, batch, engine, backend, prefillMs, decodeTokensPerSecond, decodeTokensPerCpuSecond, firstRow });
        console.log(
          `${shape} (${(parameters / 1e6).toFixed(1)}M) batch ${batch} ${engine} (${backend}): prefill ${prefillMs.toFixed(0)} ms, decode ${decodeTokensPerSecond.toFixed(1)} tokens/s (${decodeTokensPerCpuSecond.toFixed(1)} per CPU-second)`,
        );
      }
      await release();
    }
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

const agreement: Record<string, boolean> = {};
for (const result of results) {
  const reference = results.find((other) => other.shape === result.shape && other.batch === result.batch);
  agreement[`${result.shape}/${result.batch}/${result.engine}`] = JSON.stringify(reference!.firstRow) === JSON.stringify(result.firstRow);
}
console.log('\ndecode tokens/s (wall) / tokens per CPU-second (prefill)');
console.log('| shape | batch | ' + engines.join(' | ') + ' |');
console.log('| --- | --- | ' + engines.map(() => '---').join(' | ') + ' |');
for (const shape of shapes) {
  for (const batch of batches) {
    const cells = engines.map((engine) => {
      const result = results.find((entry) => entry.shape === shape && entry.batch === batch && entry.engine === engine);
      return result
        ? `${result.decodeTokensPerSecond.toFixed(1)} / ${result.decodeTokensPerCpuSecond.toFixed(1)} (prefill ${result.prefillMs.toFixed(0)} ms)`
        : '–';
    });
    console.log(`| ${shape} | ${batch} | ${cells.join(' | ')} |`);
  }
}
console.log(
  JSON.stringify({
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverage: loadavg() },
    date: new Date().toISOString(),
    promptTokens,
    newTokens,
    repeats,
    results: results.map(({ firstRow: _firstRow, ...rest }) => rest),
    onnxruntimeOverTransformersJsPerCpuSecond: Object.fromEntries(
      results
        .filter((result) => result.engine === 'onnxruntime')
        .flatMap((ours) => {
          const theirs = results.find((other) => other.engine === 'transformers.js' && other.shape === ours.shape && other.batch === ours.batch);
          return theirs ? [[`${ours.shape}/${ours.batch}`, ours.decodeTokensPerCpuSecond / theirs.decodeTokensPerCpuSecond]] : [];
        }),
    ),
    greedyTokensAgreeWithFirstEngine: agreement,
  }),
);
