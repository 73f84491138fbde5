/**
 * CPU and wall milliseconds per batched decode step of the onnxruntime engine, at rows × key slots, for
 * each cache layout (in place, the default, against the whole cache as outputs) and intra-op thread
 * count: what limits the server's continuous batch on a CPU (docs/benchmarks.md, "The key/value cache written in place").
 * Each configuration prefills `rows` prompts of `slots` tokens and times the steps after a warm-up; the
 * rounds rotate the configurations so load that comes and goes on a shared machine falls on all alike,
 * and the median round is kept.
 * Usage: npm run build && node bench/dist/cache-step.js [--model tiny|25m] [--shapes 1x16,1x200,16x16,16x200]
 *        [--threads 0,1,2] (0: the engine's default: one thread under 5M parameters, else onnxruntime's)
 *        [--layouts in-place,whole-cache] [--decode-thread calling,worker] [--steps 40] [--rounds 3]
 * `--decode-thread worker` runs the session in a worker thread (OnnxruntimeDecoderOptions.worker), so its
 * times include the message round trip of each step.
 * The last line printed is one JSON object.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { DecoderModel, OnnxruntimeDecoder } from '@steerlm/sft';
import { DECODE_SHAPES } from './models/decode-shapes';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'tiny' },
    shapes: { type: 'string', default: '1x16,1x200,16x16,16x200' },
    threads: { type: 'string', default: '0' },
    layouts: { type: 'string', default: 'in-place,whole-cache' },
    'decode-thread': { type: 'string', default: 'calling' },
    steps: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '3' },
  },
});

const steps = Number(args.steps);
const rounds = Number(args.rounds);
const shapes = args.shapes.split(',').map((shape) => shape.split('x').map(Number) as [number, number]);
const threadCounts = args.threads.split(',').map(Number);
const config = DECODE_SHAPES[args.model]?.();
if (!config) throw new Error(`--model takes ${Object.keys(DECODE_SHAPES).join(', ')}, got "${args.model}"`);

await tf.setBackend('cpu');
const model = DecoderModel.create(config, { seed: 0 });
const vocab = config.vocabSize;

interface Engine {
  layout: 'in place' | 'whole cache';
  threads: number;
  thread: 'calling' | 'worker';
  decoder: OnnxruntimeDecoder;
}
const layouts = args.layouts.split(',');
const decodeThreads = args['decode-thread'].split(',');
for (const layout of layouts) if (layout !== 'in-place' && layout !== 'whole-cache') throw new Error(`--layouts takes in-place, whole-cache, got "${layout}"`);
for (const thread of decodeThreads) if (thread !== 'calling' && thread !== 'worker') throw new Error(`--decode-thread takes calling, worker, got "${thread}"`);
const engines: Engine[] = [];
for (const threads of threadCounts) {
  for (const layout of layouts) {
    for (const thread of decodeThreads as ('calling' | 'worker')[]) {
      const inPlaceCache = layout === 'in-place';
      const decoder = await OnnxruntimeDecoder.create(model, {
        inPlaceCache,
        worker: thread === 'worker',
        ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
      });
      engines.push({ layout: inPlaceCache ? 'in place' : 'whole cache', threads, thread, decoder });
    }
  }
}

/** CPU and wall ms per step of `rows` rows whose prompts are `slots` tokens. */
async function time(decoder: OnnxruntimeDecoder, rows: number, slots: number): Promise<{ cpuMs: number; wallMs: number }> {
  const session = decoder.startDecode();
  try {
    const prompts = Array.from({ length: rows }, (_, row) => Array.from({ length: slots }, (_, t) => (row * 31 + t * 7) % vocab));
    await session.prefill(prompts);
    const tokens = prompts.map((_, row) => (row * 13) % vocab);
    for (let step = 0; step < 3; step++) await session.step(tokens);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let step = 0; step < steps; step++) await session.step(tokens);
    const used = process.cpuUsage(cpu);
    return { cpuMs: (used.user + used.system) / 1000 / steps, wallMs: (performance.now() - started) / steps };
  } finally {
    session.dispose();
  }
}

const results: { rows: number; slots: number; layout: string; threads: number; thread: string; cpuMsPerStep: number; wallMsPerStep: number }[] = [];
const load = [loadavg()[0]!];
for (const [rows, slots] of shapes) {
  const runs = new Map<Engine, { cpuMs: number; wallMs: number }[]>(engines.map((engine) => [engine, []]));
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < engines.length; index++) {
      const engine = engines[(index + round) % engines.length]!;
      runs.get(engine)!.push(await time(engine.decoder, rows, slots));
    }
  }
  for (const engine of engines) {
    const sorted = runs.get(engine)!.sort((a, b) => a.cpuMs - b.cpuMs);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    results.push({
      rows,
      slots,
      layout: engine.layout,
      threads: engine.threads,
      thread: engine.thread,
      cpuMsPerStep: median.cpuMs,
      wallMsPerStep: median.wallMs,
    });
    const threads = engine.threads > 0 ? `${engine.threads} threads` : 'default threads';
    console.log(
      `${rows} x ${slots}, ${engine.layout}, ${threads}, ${engine.thread} thread: ${median.cpuMs.toFixed(2)} CPU ms, ${median.wallMs.toFixed(2)} wall ms per step`,
    );
  }
  load.push(loadavg()[0]!);
}
for (const engine of engines) engine.decoder.release();
model.dispose();
console.log(JSON.stringify({ model: args.model, steps, rounds, cpus: cpus().length, loadAverage: load, results }));
