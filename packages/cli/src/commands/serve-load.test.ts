import { describe, expect, it } from 'vitest';
import { runCommandInProcess } from '../testing/run-command-in-process';

/** What happened to one request of the load test (every request ends in exactly one of these). */
type Outcome = { kind: 'completed'; content: string; refusals: number } | { kind: 'error'; message: string };

/** Returns the concatenated delta contents of an SSE chat stream, or throws when it did not end with [DONE]. */
function streamedContent(text: string): string {
  if (!text.trimEnd().endsWith('data: [DONE]')) throw new Error(`stream without [DONE]: ${text.slice(-200)}`);
  let content = '';
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: {')) continue;
    const chunk = JSON.parse(line.slice('data: '.length)) as { choices: { delta: { content?: string } }[] };
    content += chunk.choices[0]?.delta.content ?? '';
  }
  return content;
}

describe('steerlm serve under load', () => {
  // The headline claim of docs/benchmarks.md ("0 lost requests under load"), as a test: 16 streaming clients
  // against `steerlm serve` with 4 slots and a queue of 4, each sending 6 requests and retrying 429s.
  it('answers every streamed request of 16 concurrent clients completely: 0 lost, 0 errors, backpressure only as 429', async () => {
    const controller = new AbortController();
    let printed = '';
    let listening!: (url: string) => void;
    const started = new Promise<string>((resolve) => (listening = resolve));
    const serving = runCommandInProcess(
      ['serve', '--model', 'attribute-echo', '--port', '0', '--json', '--concurrency', '4', '--queue', '4', '--word-delay', '2'],
      {
        signal: controller.signal,
        onStdout: (chunk) => {
          printed += chunk;
          if (printed.includes('\n')) listening((JSON.parse(printed.split('\n')[0]!) as { url: string }).url);
        },
      },
    );
    const url = await started;
    const post = (humor: number, stream: boolean, label: string) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          messages: [{ role: 'user', content: `${label}: tell me a joke.` }],
          stream,
          max_tokens: 64,
          steerlm: { attributes: { humor, toxicity: 0 } },
        }),
        // A request the server never answers (lost in a queue) becomes an error after 30 s, not a test timeout.
        signal: AbortSignal.timeout(30_000),
      });

    // The answer each humor value must stream, asked one at a time without streaming.
    const expected: string[] = [];
    for (let humor = 0; humor <= 4; humor++) {
      const response = await post(humor, false, 'reference');
      expect(response.status).toBe(200);
      expected.push(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content);
    }
    expect(expected[4]).toContain('humor four');
    expect(new Set(expected).size).toBe(5);

    const clients = 16;
    const perClient = 6;
    const request = async (client: number, index: number): Promise<Outcome> => {
      const humor = (client + index) % 5;
      for (let refusals = 0; refusals < 2000; refusals++) {
        try {
          const response = await post(humor, true, `client ${client} request ${index}`);
          if (response.status === 429) {
            await response.text();
            await new Promise((resolve) => setTimeout(resolve, 5 + (refusals % 10)));
            continue;
          }
          if (response.status !== 200) return { kind: 'error', message: `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}` };
          const content = streamedContent(await response.text());
          if (content !== expected[humor])
            return {
              kind: 'error',
              message: `client ${client} request ${index}: streamed ${JSON.stringify(content)}, expected ${JSON.stringify(expected[humor])}`,
            };
          return { kind: 'completed', content, refusals };
        } catch (error) {
          return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
        }
      }
      return { kind: 'error', message: `client ${client} request ${index}: refused 2000 times` };
    };
    const outcomes = await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        const results: Outcome[] = [];
        for (let index = 0; index < perClient; index++) results.push(await request(client, index));
        return results;
      }),
    );
    const all = outcomes.flat();
    const errors = all.filter((outcome) => outcome.kind === 'error').map((outcome) => outcome.message);
    expect(errors, errors.slice(0, 5).join('\n')).toEqual([]);
    // Lost: a request without a complete, correct answer. Every one of the 96 completed.
    expect(all.filter((outcome) => outcome.kind === 'completed')).toHaveLength(clients * perClient);

    // The server is idle again, then drains and stops cleanly.
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok', active: 0, queued: 0 });
    controller.abort();
    const run = await serving;
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').slice(1).join('\n'))).toMatchObject({ stopped: true });
  });
});
