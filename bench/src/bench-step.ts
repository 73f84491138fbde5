/**
 * The training-step benchmark: forward, backward and fused AdamW of a GPT-2-family decoder on a fixed
 * synthetic batch, on one tfjs backend (or K data-parallel worker threads, each with its own wasm
 * backend and model replica). Warm-up steps are excluded; the median step time is reported.
 * Usage: npm run bench:step -- --shape tiny|gpt2s --backend cpu|wasm|webgpu [--steps N] [--warmup N] [--workers K] [--profile] [--batch B] [--seq T] [--precision f32|mixed]
 *        npm run bench:step -- --trainer [--shape tiny] [--backend wasm] [--steps N]   (trainConditionedSFT vs the bare step)
 *        npm run bench:step -- --backend webgpu --matmul 4096 [--variant tiled-f32|tiled-f16|subgroup-matrix-f16]
 *        npm run bench:step -- --gemm [--shape tiny|small|gpt2s]   (every host matmul of a step: MLAS 1/2 threads vs XNNPACK vs a JS loop)
 * The last line printed is `tokens_per_s=<number> ms_per_step=<number> cpu_ms_per_step=<number> load=<1-minute load average>`,
 * on webgpu followed by ` dispatches_per_step=<number> dispatches_per_layer=<number>` (every GPU dispatch, ours and stock tfjs's).
 * --batch/--seq override the shape's batch (e.g. the gpt2s layers at a size a software adapter runs).
 * --precision mixed: f16 working copies and loss scaling as trainConditionedSFT's precision 'mixed' (webgpu with shader-f16; f32 elsewhere, said in the log).
 * (cpu_ms_per_step: CPU time of all this process's threads per step, which a loaded machine inflates far less than wall time).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend, type BackendName } from '@steerlm/sft';
import type { MatmulVariant } from '@steerlm/sft/kernels';
import { runHostGemmBenchmark } from './step/run-host-gemm-benchmark';
import { runMatmulBenchmark } from './step/run-matmul-benchmark';
import { runStepBenchmark } from './step/run-step-benchmark';
import { runTrainerBenchmark } from './step/run-trainer-benchmark';

const { values: args } = parseArgs({
  options: {
    shape: { type: 'string', default: 'tiny' },
    backend: { type: 'string', default: 'wasm' },
    steps: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    workers: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    matmul: { type: 'string' },
    variant: { type: 'string', default: 'tiled-f32' },
    trainer: { type: 'boolean', default: false },
    gemm: { type: 'boolean', default: false },
    batch: { type: 'string' },
    seq: { type: 'string' },
    precision: { type: 'string', default: 'f32' },
  },
});
if (args.trainer) {
  // The trainer's overhead: trainConditionedSFT's step loop against the bare step, same shapes, one run.
  const result = await runTrainerBenchmark({
    shape: args.shape!,
    backend: args.backend!,
    steps: Number(args.steps),
    warmup: Number(args.warmup),
    log: (line) => console.log(line),
  });
  console.log(
    `bare_tokens_per_s=${result.bareTokensPerSecond.toFixed(1)} trainer_tokens_per_s=${result.trainerTokensPerSecond.toFixed(1)} overhead=${(100 * result.overhead).toFixed(1)}% bare_cpu_ms=${result.bare.cpuMsPerStep.toFixed(1)} trainer_cpu_ms=${result.trainer.cpuMsPerStep.toFixed(1)} load=${loadavg()[0]!.toFixed(2)}`,
  );
  process.exit(0);
}
if (args.gemm) {
  // The host matmuls of one step at --shape (tiny, small, gpt2s): MLAS vs XNNPACK vs a JS loop.
  await selectBackend({ prefer: args.backend as BackendName, strict: true });
  runHostGemmBenchmark(args.shape!, (line) => console.log(line));
  process.exit(0);
}
if (args.matmul) {
  // Matmul alone: --matmul N [--variant tiled-f32|tiled-f16|subgroup-matrix-f16] on --backend.
  // The backend report names the subgroup-matrix GEMM self-test's outcome (the variant is refused if it failed).
  const selection = await selectBackend({ prefer: args.backend as BackendName, strict: true });
  console.log(`backend ${selection.reason}`);
  await runMatmulBenchmark(Number(args.matmul), args.variant as MatmulVariant, Number(args.steps), (line) => console.log(line));
  process.exit(0);
}
const result = await runStepBenchmark({
  shape: args.shape!,
  backend: args.backend!,
  steps: Number(args.steps),
  warmup: Number(args.warmup),
  workers: Number(args.workers),
  profile: args.profile!,
  precision: args.precision as 'f32' | 'mixed',
  ...(args.batch !== undefined ? { batchSize: Number(args.batch) } : {}),
  ...(args.seq !== undefined ? { sequenceLength: Number(args.seq) } : {}),
  log: (line) => console.log(line),
});
console.log(
  `tokens_per_s=${result.tokensPerSecond.toFixed(1)} ms_per_step=${result.msPerStep.toFixed(2)} cpu_ms_per_step=${result.cpuMsPerStep.toFixed(2)} load=${loadavg()[0]!.toFixed(2)}${
    result.dispatches ? ` dispatches_per_step=${result.dispatches.perStep.total} dispatches_per_layer=${result.dispatches.perLayer}` : ''
  }`,
);
process.exit(0);
