/**
 * The annotation throughput benchmark: records/s of `annotate` (the resumable JSONL writer that
 * `steerlm apm annotate` uses) with a predictor over the chosen featurizer, on oasst1 responses with their
 * prompts, one record per call and in batches, in one run (so the ratio holds on a shared machine).
 *
 *   npm run bench:annotate -- --train FILE [--featurizer NAME] [--records N] [--batch-size B] [--rounds R]
 *
 * A predictor is trained on the first 64 labelled responses (throughput only: its quality is not
 * measured here, see bench:apm), the model is loaded and warmed up, then the next N responses are
 * annotated R times per mode, alternating modes. The last line printed is one JSON object.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AttributePredictor, createFeaturizerByName } from '@steerlm/attribute-regressor';
import { annotate } from '@steerlm/attribute-regressor/node';
import { BENCH_SCHEMA, continuousTargets } from './apm/bench-schema';
import { readOasstAssistantItems } from './apm/oasst-messages';

const { values: args } = parseArgs({
  options: {
    train: { type: 'string' },
    featurizer: { type: 'string', default: 'use-lite+text-statistics' },
    records: { type: 'string', default: '256' },
    'batch-size': { type: 'string', default: '64' },
    rounds: { type: 'string', default: '1' },
  },
});
if (!args.train) {
  console.error('usage: npm run bench:annotate -- --train FILE [--featurizer NAME] [--records N] [--batch-size B] [--rounds R]');
  process.exit(2);
}
const records = Number(args.records);
const batchSize = Number(args['batch-size']);
const rounds = Number(args.rounds);
const featurizer = createFeaturizerByName(args.featurizer!);
const items = await readOasstAssistantItems(args.train);
const train = items.slice(0, 64);
const scored = items.slice(64, 64 + records);
const predictor = await AttributePredictor.train(
  train.map((item) => ({ input: item.input, labels: continuousTargets(item.labels), group: item.treeId })),
  { schema: BENCH_SCHEMA, featurizer, validationFraction: 0, refit: false },
);
await predictor.predict(scored.slice(0, 2).map((item) => item.input));

const folder = await mkdtemp(join(tmpdir(), 'bench-annotate-'));
const modes = [1, batchSize];
const perSecond: Record<string, number[]> = Object.fromEntries(modes.map((mode) => [String(mode), []]));
// Records per second of this process's CPU time too: on a shared machine the wall clock counts other jobs.
const perCpuSecond: Record<string, number[]> = Object.fromEntries(modes.map((mode) => [String(mode), []]));
try {
  let run = 0;
  for (let round = 0; round < rounds; round += 1) {
    for (const mode of modes) {
      run += 1;
      const cpu = process.cpuUsage();
      const summary = await annotate({
        scorer: predictor,
        records: scored.map((item) => ({ id: item.messageId, input: item.input })),
        output: join(folder, `run-${run}.jsonl`),
        batchSize: mode,
      });
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      perSecond[String(mode)]!.push(summary.recordsPerSecond);
      perCpuSecond[String(mode)]!.push(summary.written / cpuSeconds);
      console.log(
        `batch ${String(mode).padStart(3)}: ${summary.written} records in ${(summary.elapsedMs / 1000).toFixed(1)} s = ${summary.recordsPerSecond.toFixed(1)} records/s (${(summary.written / cpuSeconds).toFixed(1)} per CPU second)`,
      );
    }
  }
} finally {
  await rm(folder, { recursive: true, force: true });
  await featurizer.dispose?.();
}
const median = (values: number[]) => [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)]!;
const single = median(perSecond['1']!);
const batched = median(perSecond[String(batchSize)]!);
const singleCpu = median(perCpuSecond['1']!);
const batchedCpu = median(perCpuSecond[String(batchSize)]!);
console.log(
  `one record per call ${single.toFixed(1)} records/s (${singleCpu.toFixed(1)} per CPU second); batches of ${batchSize} ${batched.toFixed(1)} records/s (${batchedCpu.toFixed(1)} per CPU second); ${(batched / single).toFixed(2)}x wall, ${(batchedCpu / singleCpu).toFixed(2)}x CPU`,
);
console.log(
  JSON.stringify({
    bench: 'annotate',
    featurizer: featurizer.id,
    records: scored.length,
    batchSize,
    recordsPerSecond: { single, batched },
    ratio: batched / single,
    recordsPerCpuSecond: { single: singleCpu, batched: batchedCpu },
    runs: perSecond,
    cpuRuns: perCpuSecond,
  }),
);
