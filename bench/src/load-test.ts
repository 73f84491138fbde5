/**
 * Load test of the steering server: N concurrent streaming clients for M seconds against 127.0.0.1,
 * for each N of `--clients` in turn (the same server), reporting tokens/s (the completion tokens the
 * server reports in each stream's usage chunk), streamed pieces/s, p50/p99 latency, p50/p99 time to the
 * first streamed text, 429s (backpressure, counted apart) and errors, and each N's tokens/s over one
 * client's.
 * Usage: npm run build && node bench/dist/load-test.js [--model attribute-echo|tiny|25m|FOLDER]
 *        [--clients 1,16] [--seconds 10] [--max-tokens 64] [--concurrency N] [--queue N] [--batch-rows 32]
 *        [--engine auto|onnxruntime|tfjs] [--decode-thread worker|main] [--word-delay 5] [--url http://127.0.0.1:8000 --api-key KEY]
 *        [--transport http|model]
 * Without --url it starts `steerlm serve --model …` (packages/cli/dist/bin.js; `tiny` and `25m` are
 * random-weight models of bench-decode's shapes, written to a temporary folder with a byte-level BPE
 * tokenizer) and stops it with SIGTERM at the end; it then also reports the server process's CPU seconds
 * (Linux), so tokens per server CPU-second can be compared on a busy machine, and the clients' own CPU seconds. Before each client count a
 * short warm-up runs unmeasured. The last line printed is one JSON object.
 *
 * `--transport model` measures the same requests with no server: the model is loaded in this process as
 * `steerlm serve` loads it (same engine, decode thread and batch rows) and each client streams from its
 * `stream()` directly, with the prompt and settings the server would render (the SteerLM template, the
 * schema's defaults under the request's attributes, the template's stop strings). It is the ceiling the
 * server's tokens/s and its ratio over one client can reach on this machine: what the engine, the
 * continuous batcher, sampling and detokenizing give, without HTTP, JSON and the clients' parsing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { conditionPrompt, STEERLM, steerlmTemplate, type GenerateResult, type LanguageModel } from '@steerlm/core';
import type { DecodeEngineName } from '@steerlm/sft';
import { DECODE_SHAPES } from './models/decode-shapes';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'attribute-echo' },
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    'max-tokens': { type: 'string', default: '64' },
    concurrency: { type: 'string' },
    queue: { type: 'string' },
    'batch-rows': { type: 'string' },
    engine: { type: 'string' },
    'decode-thread': { type: 'string' },
    'word-delay': { type: 'string', default: '5' },
    url: { type: 'string' },
    'api-key': { type: 'string' },
    transport: { type: 'string', default: 'http' },
  },
});

const clientCounts = args.clients.split(',').map(Number);
const seconds = Number(args.seconds);
const maxTokens = Number(args['max-tokens']);
const echo = args.model === 'attribute-echo';
const transport = args.transport;
if (transport !== 'http' && transport !== 'model') throw new Error(`--transport takes http or model, got "${transport}"`);
if (transport === 'model' && args.url) throw new Error('--transport model loads the model in this process; it takes --model, not --url');
// The attribute-echo defaults show backpressure (429s); a model is served with serve's own defaults.
const concurrency = args.concurrency ?? (echo ? '4' : '16');
const queue = args.queue ?? (echo ? '4' : '8');
for (const count of clientCounts) if (!(Number.isInteger(count) && count >= 1)) throw new Error(`--clients takes counts >= 1, got "${args.clients}"`);
if (!(seconds > 0 && Number.isInteger(maxTokens) && maxTokens >= 1)) throw new Error('--seconds must be > 0 and --max-tokens an integer >= 1');

interface Outcome {
  completed: number;
  rejected: number;
  errors: string[];
  latenciesMs: number[];
  firstTokenMs: number[];
  pieces: number;
  tokens: number;
  sent: number;
}

/** Writes a random-weight model of `shape` with a byte-level BPE tokenizer into a new temporary folder. */
async function writeShapeModel(shape: string): Promise<string> {
  const sft = await import('@steerlm/sft');
  await sft.selectBackend({ prefer: 'cpu', strict: true });
  const folder = await mkdtemp(join(tmpdir(), `steerlm-load-test-${shape}-`));
  const corpus = Array.from({ length: 200 }, (_, index) => `a chat between a user and an assistant, answer number ${index} tells a joke`);
  await sft.writeByteLevelBpeTokenizer(folder, await sft.trainByteLevelBpe(corpus, { vocabSize: 400 }));
  const model = sft.DecoderModel.create(DECODE_SHAPES[shape]!(), { seed: 0 });
  await model.save(folder);
  model.dispose();
  return folder;
}

async function startServer(model: string): Promise<{ url: string; child: ChildProcess }> {
  const bin = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
  const options = ['--concurrency', concurrency, '--queue', queue, '--max-tokens', String(maxTokens)];
  if (echo) options.push('--word-delay', args['word-delay']);
  if (args['batch-rows'] !== undefined) options.push('--batch-rows', args['batch-rows']);
  if (args.engine !== undefined) options.push('--engine', args.engine);
  if (args['decode-thread'] !== undefined) options.push('--decode-thread', args['decode-thread']);
  const child = spawn(process.execPath, [bin, 'serve', '--model', model, '--port', '0', '--json', ...options], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return { url: (JSON.parse(line) as { url: string }).url, child };
  throw new Error('steerlm serve exited before listening; build it first with npm run build');
}

/** Returns the CPU seconds (user + system, every thread) process `pid` has used, or NaN where /proc is not readable. */
async function processCpuSeconds(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/** One client: sends streaming chat requests back to back until the deadline; 429s are retried after 50 ms. */
async function client(url: string, index: number, deadline: number, outcome: Outcome): Promise<void> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (args['api-key']) headers.authorization = `Bearer ${args['api-key']}`;
  let request = 0;
  while (performance.now() < deadline) {
    request += 1;
    const body = JSON.stringify({
      messages: [{ role: 'user', content: `Client ${index} request ${request}: tell me a joke.` }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: maxTokens,
      steerlm: { attributes: { humor: request % 5, toxicity: 0 } },
    });
    const started = performance.now();
    outcome.sent += 1;
    try {
      const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers, body });
      if (response.status === 429) {
        await response.text();
        outcome.rejected += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      if (response.status !== 200 || !response.body) {
        outcome.errors.push(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
        continue;
      }
      let text = '';
      let firstToken: number | undefined;
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const scanFrom = Math.max(0, text.length - 11); // a match may straddle the last read (11 = its length − 1)
        text += decoder.decode(value, { stream: true });
        // Only the new text is searched: scanning all of it on every read cost the client O(n²) per
        // request (for 25m, whose pieces are mostly empty, until the end of every stream).
        if (firstToken === undefined && /"content":"[^"]/.test(text.slice(scanFrom))) firstToken = performance.now() - started;
      }
      if (!text.trimEnd().endsWith('data: [DONE]')) {
        outcome.errors.push(`stream without [DONE]: ${text.slice(-200)}`);
        continue;
      }
      outcome.pieces += (text.match(/"content":"[^"]/g) ?? []).length;
      outcome.tokens += Number(/"completion_tokens":(\d+)/.exec(text)?.[1] ?? 0);
      outcome.latenciesMs.push(performance.now() - started);
      if (firstToken !== undefined) outcome.firstTokenMs.push(firstToken);
      outcome.completed += 1;
    } catch (error) {
      outcome.errors.push(error instanceof Error ? error.message : String(error));
    }
  }
}

/**
 * One client of `--transport model`: streams the same requests as {@link client} from the model itself, with
 * the prompt and settings `steerlm serve` renders for them (a streamed piece is one token, as the server counts).
 */
async function modelClient(model: LanguageModel, index: number, deadline: number, outcome: Outcome): Promise<void> {
  let request = 0;
  while (performance.now() < deadline) {
    request += 1;
    const attributes = { ...STEERLM.defaults(), humor: request % 5, toxicity: 0 };
    const prompt = conditionPrompt({ prompt: `Client ${index} request ${request}: tell me a joke.`, attributes });
    const started = performance.now();
    outcome.sent += 1;
    try {
      let firstToken: number | undefined;
      let count = 0;
      const pieces = model.stream!(prompt, { maxTokens, stop: [...steerlmTemplate.stopStrings] })[Symbol.asyncIterator]();
      for (;;) {
        const next = await pieces.next();
        if (next.done) {
          // LocalLanguageModel's stream returns its usage (the tokens decoded); pieces stand in otherwise.
          const usage = (next.value as Partial<GenerateResult> | undefined)?.usage;
          outcome.tokens += usage?.completionTokens ?? count;
          break;
        }
        count += 1;
        if (next.value === '') continue;
        outcome.pieces += 1;
        firstToken ??= performance.now() - started;
      }
      outcome.latenciesMs.push(performance.now() - started);
      if (firstToken !== undefined) outcome.firstTokenMs.push(firstToken);
      outcome.completed += 1;
    } catch (error) {
      outcome.errors.push(error instanceof Error ? error.message : String(error));
    }
  }
}

/** Runs `clients` clients for `durationS` seconds; returns their outcome and the wall and server CPU seconds. */
async function run(
  url: string,
  pid: number | undefined,
  clients: number,
  durationS: number,
): Promise<{ outcome: Outcome; elapsedS: number; cpuS: number; clientCpuS: number }> {
  const outcome: Outcome = { completed: 0, rejected: 0, errors: [], latenciesMs: [], firstTokenMs: [], pieces: 0, tokens: 0, sent: 0 };
  const cpuBefore = await processCpuSeconds(pid);
  const started = performance.now();
  const deadline = started + durationS * 1000;
  const clientCpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: clients }, (_, index) => (inProcess ? modelClient(inProcess, index, deadline, outcome) : client(url, index, deadline, outcome))),
  );
  const elapsedS = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(clientCpu);
  // In process, the model's CPU (worker threads included) is this process's: all of it is the "server's".
  if (inProcess) return { outcome, elapsedS, cpuS: (user + system) / 1e6, clientCpuS: Number.NaN };
  return { outcome, elapsedS, cpuS: (await processCpuSeconds(pid)) - cpuBefore, clientCpuS: (user + system) / 1e6 };
}

const folder = !args.url && args.model in DECODE_SHAPES ? await writeShapeModel(args.model) : undefined;
/** The model of `--transport model`, loaded in this process with the options `steerlm serve` gives it. */
async function loadInProcess(model: string): Promise<LanguageModel> {
  const { loadLanguageModel } = await import('@steerlm/cli');
  const maxRows = Number(args['batch-rows'] ?? 32); // serve's --batch-rows default
  const loaded = await loadLanguageModel(model, {
    ...(args.engine !== undefined ? { engine: args.engine as DecodeEngineName } : {}),
    ...(maxRows > 0 ? { continuousBatching: { maxRows } } : {}),
    onnxruntime: { worker: (args['decode-thread'] ?? 'worker') === 'worker' },
    ...(echo ? { wordDelayMs: Number(args['word-delay']) } : {}),
  });
  if (!loaded.model.stream) throw new Error(`the model "${model}" does not stream`);
  console.log(`in process: ${model} on ${loaded.engine} (${loaded.backend})`);
  return loaded.model;
}

const inProcess = transport === 'model' ? await loadInProcess(folder ?? args.model) : undefined;
const server = args.url || inProcess ? undefined : await startServer(folder ?? args.model);
const url = args.url ?? server?.url ?? 'in-process';
const pid = server?.child.pid;
const reports = [];
try {
  for (const clients of clientCounts) {
    // Warm-up: fills the JIT, the allocator and onnxruntime's arenas for this batch size.
    await run(url, pid, clients, Math.min(2, seconds / 4));
    const { outcome, elapsedS, cpuS, clientCpuS } = await run(url, pid, clients, seconds);
    const latencies = [...outcome.latenciesMs].sort((a, b) => a - b);
    const firstTokens = [...outcome.firstTokenMs].sort((a, b) => a - b);
    const report = {
      clients,
      seconds: Number(elapsedS.toFixed(2)),
      sent: outcome.sent,
      completed: outcome.completed,
      rejected429: outcome.rejected,
      errors: outcome.errors.length,
      lost: outcome.sent - outcome.completed - outcome.rejected - outcome.errors.length,
      requestsPerSecond: Number((outcome.completed / elapsedS).toFixed(2)),
      tokensPerSecond: Number((outcome.tokens / elapsedS).toFixed(1)),
      piecesPerSecond: Number((outcome.pieces / elapsedS).toFixed(1)),
      serverCpuSeconds: Number(cpuS.toFixed(2)),
      tokensPerServerCpuSecond: Number((outcome.tokens / cpuS).toFixed(1)),
      // The clients' own CPU (this process): on a machine of few cores they compete with the server.
      clientCpuSeconds: Number(clientCpuS.toFixed(2)),
      latencyP50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
      latencyP99Ms: Number(percentile(latencies, 0.99).toFixed(1)),
      firstTokenP50Ms: Number(percentile(firstTokens, 0.5).toFixed(1)),
      firstTokenP99Ms: Number(percentile(firstTokens, 0.99).toFixed(1)),
    };
    reports.push(report);
    const where = args.url ?? (inProcess ? `${args.model}, in process, no server` : `${args.model}, concurrency ${concurrency}, queue ${queue}`);
    console.log(`${clients} streaming clients for ${seconds}s (${where}):`);
    console.log(
      `  completed ${report.completed} (${report.requestsPerSecond} req/s), ${report.tokensPerSecond} tokens/s (${report.tokensPerServerCpuSecond} per server CPU-second; server ${report.serverCpuSeconds} CPU-s, clients ${report.clientCpuSeconds} CPU-s), ${report.piecesPerSecond} streamed pieces/s; 429s ${report.rejected429}, errors ${report.errors}, lost ${report.lost}`,
    );
    console.log(
      `  latency p50 ${report.latencyP50Ms} ms, p99 ${report.latencyP99Ms} ms; first text p50 ${report.firstTokenP50Ms} ms, p99 ${report.firstTokenP99Ms} ms`,
    );
    for (const error of outcome.errors.slice(0, 5)) console.log(`  error: ${error}`);
  }
} finally {
  if (server) {
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
  }
  if (folder) await rm(folder, { recursive: true, force: true });
}

const single = reports.find((report) => report.clients === 1);
console.log(
  JSON.stringify({
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverage: loadavg() },
    date: new Date().toISOString(),
    model: args.url ?? args.model,
    transport,
    ...(args['batch-rows'] !== undefined ? { batchRows: Number(args['batch-rows']) } : {}),
    ...(args.engine !== undefined ? { engine: args.engine } : {}),
    maxTokens,
    concurrency: Number(concurrency),
    queue: Number(queue),
    ...(echo ? { wordDelayMs: Number(args['word-delay']) } : {}),
    runs: reports,
    ...(single
      ? {
          tokensPerSecondOverOneClient: Object.fromEntries(
            reports.map((report) => [report.clients, Number((report.tokensPerSecond / single.tokensPerSecond).toFixed(2))]),
          ),
        }
      : {}),
  }),
);
process.exitCode = reports.every((report) => report.errors === 0 && report.lost === 0) ? 0 : 1;
