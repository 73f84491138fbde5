/**
 * Load test of the steering server: N concurrent streaming clients for M seconds against 127.0.0.1,
 * reporting throughput, p50/p99 latency, 429s (backpressure, counted apart) and errors.
 * Usage: npm run build && node bench/dist/load-test.js [--clients 16] [--seconds 10] [--concurrency 4]
 *        [--queue 4] [--word-delay 5] [--url http://127.0.0.1:8000 --api-key KEY]
 * Without --url it starts `steerlm serve --model attribute-echo` (packages/cli/dist/bin.js) and stops it
 * with SIGTERM at the end. The last line printed is one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4' },
    queue: { type: 'string', default: '4' },
    'word-delay': { type: 'string', default: '5' },
    url: { type: 'string' },
    'api-key': { type: 'string' },
  },
});

const clients = Number(args.clients);
const seconds = Number(args.seconds);

interface Outcome {
  completed: number;
  rejected: number;
  errors: string[];
  latenciesMs: number[];
  firstTokenMs: number[];
  pieces: number;
  sent: number;
}

async function startServer(): Promise<{ url: string; child: ChildProcess }> {
  const bin = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--model',
      'attribute-echo',
      '--port',
      '0',
      '--json',
      '--concurrency',
      args.concurrency,
      '--queue',
      args.queue,
      '--word-delay',
      args['word-delay'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) return { url: (JSON.parse(line) as { url: string }).url, child };
  throw new Error('steerlm serve exited before listening; build it first with npm run build');
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
      max_tokens: 64,
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
        text += decoder.decode(value, { stream: true });
        if (firstToken === undefined && text.includes('"content":"S')) firstToken = performance.now() - started;
      }
      if (!text.trimEnd().endsWith('data: [DONE]')) {
        outcome.errors.push(`stream without [DONE]: ${text.slice(-200)}`);
        continue;
      }
      outcome.pieces += (text.match(/"content":"[^"]+"/g) ?? []).length;
      outcome.latenciesMs.push(performance.now() - started);
      if (firstToken !== undefined) outcome.firstTokenMs.push(firstToken);
      outcome.completed += 1;
    } catch (error) {
      outcome.errors.push(error instanceof Error ? error.message : String(error));
    }
  }
}

const server = args.url ? undefined : await startServer();
const url = args.url ?? server!.url;
const outcome: Outcome = { completed: 0, rejected: 0, errors: [], latenciesMs: [], firstTokenMs: [], pieces: 0, sent: 0 };
const started = performance.now();
const deadline = started + seconds * 1000;
await Promise.all(Array.from({ length: clients }, (_, index) => client(url, index, deadline, outcome)));
const elapsedS = (performance.now() - started) / 1000;
if (server) {
  server.child.kill('SIGTERM');
  await once(server.child, 'exit');
}

const latencies = [...outcome.latenciesMs].sort((a, b) => a - b);
const firstTokens = [...outcome.firstTokenMs].sort((a, b) => a - b);
const lost = outcome.sent - outcome.completed - outcome.rejected - outcome.errors.length;
const report = {
  clients,
  seconds: Number(elapsedS.toFixed(2)),
  concurrency: Number(args.concurrency),
  queue: Number(args.queue),
  wordDelayMs: Number(args['word-delay']),
  sent: outcome.sent,
  completed: outcome.completed,
  rejected429: outcome.rejected,
  errors: outcome.errors.length,
  lost,
  requestsPerSecond: Number((outcome.completed / elapsedS).toFixed(1)),
  piecesPerSecond: Number((outcome.pieces / elapsedS).toFixed(0)),
  latencyP50Ms: Number(percentile(latencies, 0.5).toFixed(1)),
  latencyP99Ms: Number(percentile(latencies, 0.99).toFixed(1)),
  firstTokenP50Ms: Number(percentile(firstTokens, 0.5).toFixed(1)),
  firstTokenP99Ms: Number(percentile(firstTokens, 0.99).toFixed(1)),
};
console.log(`steering server load test: ${clients} streaming clients for ${seconds}s, concurrency ${report.concurrency}, queue ${report.queue}`);
console.log(
  `  completed ${report.completed} (${report.requestsPerSecond} req/s, ${report.piecesPerSecond} streamed pieces/s), 429s ${report.rejected429}, errors ${report.errors}, lost ${report.lost}`,
);
console.log(
  `  latency p50 ${report.latencyP50Ms} ms, p99 ${report.latencyP99Ms} ms; first token p50 ${report.firstTokenP50Ms} ms, p99 ${report.firstTokenP99Ms} ms`,
);
for (const error of outcome.errors.slice(0, 5)) console.log(`  error: ${error}`);
console.log(JSON.stringify(report));
process.exitCode = report.errors === 0 && report.lost === 0 ? 0 : 1;
