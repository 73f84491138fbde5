/**
 * The annotation throughput benchmark: records/s of `annotate` (the resumable JSONL writer that
 * `steerlm apm annotate` uses) with a predictor over the chosen featurizer, on oasst1 responses with their
 * prompts, for each USE-lite engine (onnxruntime, tfjs) in batches and, with --single, one record per call,
 * in one run (so the ratios hold on a shared machine).
 *
 *   npm run bench:annotate -- --train FILE [--featurizer NAME] [--engines onnxruntime,onnxruntime@2x0,tfjs]
 *                             [--records N] [--batch-size B] [--rounds R] [--single] [--threads T] [--in-flight K]
 *
 * An engine is ENGINE, ENGINE@THREADS (onnxruntime's intra-op threads; default --threads, else its own) or
 * ENGINE@THREADSxSESSIONS (that many sessions in worker threads, THREADS intra-op threads each).
 *
 * Per engine, a predictor is trained on the first 64 labelled responses (throughput only: its quality is not
 * measured here, see bench:apm), the model is loaded and warmed up, then the next N responses are
 * annotated R times per mode, alternating engines and modes. The wall clock and this process's CPU seconds
 * are both reported: on a shared machine the wall clock counts other jobs. The last line printed is one
 * JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AttributePredictor, createFeaturizerByName } from '@steerlm/attribute-regressor';
import { annotate, USE_LITE_ENGINES } from '@steerlm/attribute-regressor/node';
import { BENCH_SCHEMA, continuousTargets } from './apm/bench-schema';
import { readOasstAssistantItems } from './apm/oasst-messages';

const { values: args } = parseArgs({
  options: {
    train: { type: 'string' },
    featurizer: { type: 'string', default: 'use-lite+text-statistics' },
    // ENGINE, ENGINE@THREADS (onnxruntime's intra-op threads) or ENGINE@THREADSxSESSIONS, comma-separated.
    engines: { type: 'string', default: 'onnxruntime,onnxruntime@2x0,tfjs' },
    records: { type: 'string', default: '256' },
    'batch-size': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
    single: { type: 'boolean', default: false },
    threads: { type: 'string' },
    // Batches scored at once by annotate (2, as steerlm apm annotate does; 1 for one at a time).
    'in-flight': { type: 'string', default: '2' },
  },
});
if (!args.train) {
  console.error(
    'usage: npm run bench:annotate -- --train FILE [--featurizer NAME] [--engines onnxruntime,onnxruntime@2x0,tfjs] [--records N] [--batch-size B] [--rounds R] [--single] [--threads T] [--in-flight K]',
  );
  process.exit(2);
}
const records = Number(args.records);
const batchSize = Number(args['batch-size']);
const rounds = Number(args.rounds);
const batchesInFlight = Number(args['in-flight']);
const usesUseLite = args.featurizer!.split('+').some((part) => part === 'use-lite' || part === 'use-lite-chunked');
const engines = usesUseLite ? args.engines!.split(',').map((engine) => engine.trim()) : ['-'];
for (const engine of engines) {
  if (usesUseLite && !(USE_LITE_ENGINES as readonly string[]).includes(engine.split('@')[0]!)) throw new Error(`unknown USE-lite engine ${engine}`);
}
const items = await readOasstAssistantItems(args.train);
const train = items.slice(0, 64);
const scored = items.slice(64, 64 + records);
console.log(
  `load average at start ${loadavg()
    .map((load) => load.toFixed(2))
    .join(' ')}`,
);

const setups = [];
for (const engine of engines) {
  // The use-lite featurizer reads its engine and threads from the environment when made by name.
  const [name, threadsAndSessions] = engine.split('@');
  const [threads, sessions] = (threadsAndSessions ?? '').split('x');
  if (usesUseLite) process.env.STEERLM_USE_LITE_ENGINE = name;
  if (sessions) process.env.STEERLM_USE_LITE_SESSIONS = sessions;
  else delete process.env.STEERLM_USE_LITE_SESSIONS;
  if (threads || args.threads) process.env.STEERLM_USE_LITE_THREADS = threads || args.threads;
  else delete process.env.STEERLM_USE_LITE_THREADS;
  const featurizer = createFeaturizerByName(args.featurizer!);
  const predictor = await AttributePredictor.train(
    train.map((item) => ({ input: item.input, labels: continuousTargets(item.labels), group: item.treeId })),
    { schema: BENCH_SCHEMA, featurizer, validationFraction: 0, refit: false },
  );
  await predictor.predict(scored.slice(0, 2).map((item) => item.input));
  setups.push({ engine, featurizer, predictor });
}
delete process.env.STEERLM_USE_LITE_ENGINE;
delete process.env.STEERLM_USE_LITE_THREADS;
delete process.env.STEERLM_USE_LITE_SESSIONS;

const folder = await mkdtemp(join(tmpdir(), 'bench-annotate-'));
const modes = args.single ? [1, batchSize] : [batchSize];
const runs: { engine: string; batch: number; recordsPerSecond: number[]; recordsPerCpuSecond: number[] }[] = [];
for (const { engine } of setups) for (const mode of modes) runs.push({ engine, batch: mode, recordsPerSecond: [], recordsPerCpuSecond: [] });
try {
  let run = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const entry of runs) {
      const { predictor } = setups.find((setup) => setup.engine === entry.engine)!;
      run += 1;
      const cpu = process.cpuUsage();
      const summary = await annotate({
        scorer: predictor,
        records: scored.map((item) => ({ id: item.messageId, input: item.input })),
        output: join(folder, `run-${run}.jsonl`),
        batchSize: entry.batch,
        batchesInFlight,
      });
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      entry.recordsPerSecond.push(summary.recordsPerSecond);
      entry.recordsPerCpuSecond.push(summary.written / cpuSeconds);
      console.log(
        `${entry.engine.padEnd(11)} batch ${String(entry.batch).padStart(3)}: ${summary.written} records in ${(summary.elapsedMs / 1000).toFixed(1)} s = ${summary.recordsPerSecond.toFixed(1)} records/s (${(summary.written / cpuSeconds).toFixed(1)} per CPU second, ${(cpuSeconds / (summary.elapsedMs / 1000)).toFixed(2)} cores busy); load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
  }
} finally {
  await rm(folder, { recursive: true, force: true });
  for (const { featurizer } of setups) await featurizer.dispose?.();
}
const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;
const results = runs.map((entry) => ({
  engine: entry.engine,
  batch: entry.batch,
  recordsPerSecond: median(entry.recordsPerSecond),
  recordsPerCpuSecond: median(entry.recordsPerCpuSecond),
  runs: entry.recordsPerSecond,
  cpuRuns: entry.recordsPerCpuSecond,
}));
for (const result of results) {
  console.log(
    `${result.engine}, batches of ${result.batch}: ${result.recordsPerSecond.toFixed(1)} records/s (${result.recordsPerCpuSecond.toFixed(1)} per CPU second)`,
  );
}
if (results.length > 1) {
  const [first, ...rest] = results;
  for (const other of rest) {
    console.log(
      `${first!.engine}/${first!.batch} against ${other.engine}/${other.batch}: ${(first!.recordsPerSecond / other.recordsPerSecond).toFixed(2)}x wall, ${(first!.recordsPerCpuSecond / other.recordsPerCpuSecond).toFixed(2)}x CPU`,
    );
  }
}
console.log(
  JSON.stringify({
    bench: 'annotate',
    featurizer: setups[0]!.featurizer.id,
    records: scored.length,
    batchSize,
    batchesInFlight,
    loadAverage: loadavg(),
    results,
  }),
);
