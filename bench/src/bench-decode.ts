/**
 * The decoding benchmark: greedy KV-cache decoding tokens/s of our decode engines (tfjs on the backend
 * selectBackend picks, or on cpu/wasm by name; onnxruntime, our engine running our ONNX export on
 * onnxruntime-node) against transformers.js running the same export of the same weights (onnxruntime-node, CPU).
 * Usage: npm run bench:decode -- [--shapes tiny,25m] [--batches 1,16] [--engines tfjs,tfjs-cpu,tfjs-wasm,onnxruntime,transformers.js]
 * `onnxruntime` runs the export our engine uses by default (on ONNX Runtime's contrib operators) and
 * `transformers.js` runs that same export written by exportOnnx; the engines `onnxruntime-standard`,
 * `onnxruntime-contrib`, `transformers.js-standard` and `transformers.js-contrib` pick the standard-operator
 * export or the one on ONNX Runtime's contrib operators (GroupQueryAttention, SkipLayerNormalization, …).
 *        [--prompt-tokens 8] [--new-tokens 16] [--seed 0] [--repeats 3]
 * Decode tokens/s = batch × (new tokens − 1) / time from the first generated token to the last, so the
 * prefill (timed apart) is left out. On a shared machine wall time depends on the load, so the process
 * CPU time of the decode (all threads) is reported too, as tokens per CPU-second. The last line printed
 * is one JSON object. Each configuration runs `--repeats` times after a warm-up; the run with the median
 * tokens per CPU-second is reported. The onnxruntime-node engines run in alternation (one run each per
 * round), so their ratios come from the same stretch of machine load.
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
  type ModelConfig,
} from '@steerlm/sft';
import { DECODE_SHAPES } from './models/decode-shapes';

const SHAPES = DECODE_SHAPES;

const ENGINES = [
  'tfjs',
  'tfjs-cpu',
  'tfjs-wasm',
  'onnxruntime',
  'onnxruntime-standard',
  'onnxruntime-contrib',
  'transformers.js',
  'transformers.js-standard',
  'transformers.js-contrib',
] as const;
/** Whether OnnxruntimeDecoder runs the contrib-op export by default (the export `transformers.js` then loads, to compare like with like). */
const ENGINE_DEFAULT_CONTRIB_OPS = true;
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

/** One engine set up on one shape. */
interface EngineSetup {
  engine: Engine;
  runner: (rows: number[][], tokens: number) => Promise<RunTiming>;
  release: () => Promise<void>;
  parameters: number;
  backend: string;
}

/** Builds `engine` on `config` (the onnxruntime engines export in memory, transformers.js loads an exportOnnx folder). */
async function setUpEngine(engine: Engine, shape: string, config: ModelConfig, root: string, tokenizerFolder: string): Promise<EngineSetup> {
  // undefined: the onnxruntime engine's default export (transformers.js then runs the same one).
  const contribOps = engine.endsWith('-contrib') ? true : engine.endsWith('-standard') ? false : undefined;
  if (engine.startsWith('transformers.js')) {
    await tf.setBackend('cpu');
    const model = DecoderModel.create(config, { seed });
    const parameters = model.parameterCount();
    const folder = join(root, shape, engine);
    await exportOnnx(model, tokenizerFolder, folder, { generation: { eosTokenIds: [] }, contribOps: contribOps ?? ENGINE_DEFAULT_CONTRIB_OPS });
    model.dispose();
    const transformers = (await import('@huggingface/transformers')) as unknown as TransformersModule;
    transformers.env.allowRemoteModels = false;
    transformers.env.useFSCache = false;
    const loaded = await transformers.AutoModelForCausalLM.from_pretrained(folder, { local_files_only: true, dtype: 'fp32', device: 'cpu' });
    return {
      engine,
      runner: (rows, tokens) => runTransformers(transformers, loaded, rows, tokens),
      release: async () => void (await loaded.dispose()),
      parameters,
      backend: 'onnxruntime-node',
    };
  }
  if (engine.startsWith('onnxruntime')) {
    await tf.setBackend('cpu');
    const model = DecoderModel.create(config, { seed });
    const decoder = await OnnxruntimeDecoder.create(model, contribOps !== undefined ? { contribOps } : {});
    console.log(`${shape}: ${engine} export and session ${decoder.buildMs.toFixed(0)} ms`);
    return {
      engine,
      runner: (rows, tokens) => runOurs(() => decoder.startDecode(), rows, tokens),
      release: async () => {
        decoder.release();
        model.dispose();
      },
      parameters: model.parameterCount(),
      backend: 'onnxruntime-node',
    };
  }
  const backend = (engine === 'tfjs' ? await selectBackend() : await selectBackend({ prefer: engine === 'tfjs-cpu' ? 'cpu' : 'wasm', strict: true })).backend;
  const model = DecoderModel.create(config, { seed });
  return {
    engine,
    runner: (rows, tokens) => runOurs(() => model, rows, tokens),
    release: async () => model.dispose(),
    parameters: model.parameterCount(),
    backend,
  };
}

/**
 * Measures `group` (engines set up together) at one batch: a warm-up each, then `repeats` rounds in
 * which every engine runs once, the order rotating each round, so load that comes and goes on a shared
 * machine falls on all of them alike; each engine's run with the median tokens per CPU-second is kept.
 */
async function measure(group: readonly EngineSetup[], shape: string, batch: number, vocab: number): Promise<void> {
  const rows = prompts(batch, vocab);
  for (const setup of group) await setup.runner(rows, 2);
  const runs = new Map<Engine, RunTiming[]>(group.map((setup) => [setup.engine, []]));
  for (let round = 0; round < repeats; round++) {
    for (let offset = 0; offset < group.length; offset++) {
      const setup = group[(round + offset) % group.length]!;
      runs.get(setup.engine)!.push(await setup.runner(rows, newTokens));
    }
  }
  for (const { engine, parameters, backend } of group) {
    const sorted = runs.get(engine)!.sort((a, b) => a.decodeCpuSeconds - b.decodeCpuSeconds);
    const { prefillMs, decodeSeconds, decodeCpuSeconds, firstRow } = sorted[Math.floor(sorted.length / 2)]!;
    const decodeTokensPerSecond = (batch * (newTokens - 1)) / decodeSeconds;
    const decodeTokensPerCpuSecond = (batch * (newTokens - 1)) / decodeCpuSeconds;
    results.push({ shape, parameters, batch, engine, backend, prefillMs, decodeTokensPerSecond, decodeTokensPerCpuSecond, firstRow });
    console.log(
      `${shape} (${(parameters / 1e6).toFixed(1)}M) batch ${batch} ${engine} (${backend}): prefill ${prefillMs.toFixed(0)} ms, decode ${decodeTokensPerSecond.toFixed(1)} tokens/s (${decodeTokensPerCpuSecond.toFixed(1)} per CPU-second)`,
    );
  }
}

const results: DecodeResult[] = [];
const root = await mkdtemp(join(tmpdir(), 'steerlm-bench-decode-'));
try {
  const tokenizerFolder = join(root, 'tokenizer');
  const corpus = Array.from({ length: 200 }, (_, index) => `decoding benchmark sentence number ${index} with a few words`);
  await writeByteLevelBpeTokenizer(tokenizerFolder, await trainByteLevelBpe(corpus, { vocabSize: 400 }));
  for (const shape of shapes) {
    const config = SHAPES[shape]!();
    // The tfjs engines switch the global tfjs backend, so each runs alone; the onnxruntime-node engines
    // (ours and transformers.js, every export) are set up together and measured in alternation.
    const groups: Engine[][] = [
      ...engines.filter((engine) => engine.startsWith('tfjs')).map((engine) => [engine]),
      engines.filter((engine) => !engine.startsWith('tfjs')),
    ].filter((group) => group.length > 0);
    for (const group of groups) {
      const setups: EngineSetup[] = [];
      try {
        for (const engine of group) setups.push(await setUpEngine(engine, shape, config, root, tokenizerFolder));
        for (const batch of batches) await measure(setups, shape, batch, config.vocabSize);
      } finally {
        for (const setup of setups) await setup.release();
      }
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
    // onnxruntime over transformers.js on the same export (key shape/batch, plus /standard or /contrib for those engines).
    onnxruntimeOverTransformersJsPerCpuSecond: Object.fromEntries(
      results
        .filter((result) => result.engine.startsWith('onnxruntime'))
        .flatMap((ours) => {
          const variant = ours.engine.slice('onnxruntime'.length);
          const theirs = results.find((other) => other.engine === `transformers.js${variant}` && other.shape === ours.shape && other.batch === ours.batch);
          return theirs ? [[`${ours.shape}/${ours.batch}${variant.replace('-', '/')}`, ours.decodeTokensPerCpuSecond / theirs.decodeTokensPerCpuSecond]] : [];
        }),
    ),
    // The contrib-op export over the standard one, per runtime (key shape/batch/engine).
    contribOverStandardPerCpuSecond: Object.fromEntries(
      results
        .filter(
          (result) =>
            result.engine.endsWith('-contrib') || (ENGINE_DEFAULT_CONTRIB_OPS && (result.engine === 'onnxruntime' || result.engine === 'transformers.js')),
        )
        .flatMap((contrib) => {
          const runtime = contrib.engine.replace(/-contrib$/, '');
          const standard = results.find((other) => other.engine === `${runtime}-standard` && other.shape === contrib.shape && other.batch === contrib.batch);
          return standard ? [[`${contrib.shape}/${contrib.batch}/${runtime}`, contrib.decodeTokensPerCpuSecond / standard.decodeTokensPerCpuSecond]] : [];
        }),
    ),
    greedyTokensAgreeWithFirstEngine: agreement,
  }),
);
