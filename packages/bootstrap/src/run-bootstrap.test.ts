import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createOpenAICompatibleModel, formatAttributes, OASST, validateNemoRecord, type LanguageModel, type ProgressEvent } from '@steerlm/core';
import { createCharacterNGramModel, startTestServer, type TestServer } from '@steerlm/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectAttributeCombinations, pickCombination, topValueFilter } from './attribute-combinations';
import { promptsFromConversations, type BootstrapPrompt } from './bootstrap-prompt';
import { bootstrapRecordKey, runBootstrap, type BootstrapRecord } from './run-bootstrap';
import { responseText } from './sampling-defaults';
import { ANNOTATED_CONVERSATIONS, TEMPLATE_TEXTS } from './testing/annotated-conversations';
import { lengthScorer } from './testing/length-scorer';

const userTexts = ['what do cats like?', 'tell me about dogs', 'a joke please', 'how are fish?', 'say hi', 'name a color'];
const prompts: BootstrapPrompt[] = Array.from({ length: 12 }, (_, index) => ({
  id: `p${index}`,
  turns: [{ role: 'user', text: `${userTexts[index % 6]} (${index})` }],
}));
const local = createCharacterNGramModel({ texts: TEMPLATE_TEXTS, order: 6, modelId: 'tiny' });
const sampling = { maxTokens: 60, temperature: 0.9, topK: 50 };

async function readRecords(path: string): Promise<BootstrapRecord[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as BootstrapRecord);
}

function byKey(records: readonly BootstrapRecord[]): Map<string, BootstrapRecord> {
  return new Map(records.map((record) => [bootstrapRecordKey(record), record]));
}

describe('attribute combinations', () => {
  it('collects the distinct top-quality combinations in order of appearance', async () => {
    const combinations = await collectAttributeCombinations(ANNOTATED_CONVERSATIONS, { schema: OASST });
    expect(combinations.map((values) => formatAttributes(values, OASST))).toEqual([
      'quality:4,toxicity:0,humor:1,creativity:2',
      'quality:4,toxicity:0,humor:2,creativity:1',
      'quality:4,toxicity:0,humor:3,creativity:3',
    ]);
    const funny = await collectAttributeCombinations(ANNOTATED_CONVERSATIONS, { schema: OASST, filter: (values) => (values.humor ?? 0) >= 2 });
    expect(funny).toHaveLength(2);
    expect(() => topValueFilter('violence')({ quality: 1 }, OASST)).toThrow(/no "violence" attribute/);
  });

  it('draws one combination per prompt uniformly and reproducibly', () => {
    const combinations = [
      { quality: 4, humor: 0 },
      { quality: 4, humor: 1 },
      { quality: 4, humor: 2 },
      { quality: 4, humor: 3 },
    ];
    const counts = [0, 0, 0, 0];
    for (let index = 0; index < 8000; index++) counts[pickCombination(combinations, `prompt-${index}`, 1).humor!]! += 1;
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(200);
    expect(pickCombination(combinations, 'x', 3)).toBe(pickCombination(combinations, 'x', 3));
    expect(() => pickCombination([], 'x', 0)).toThrow(/no attribute combinations/);
  });

  it('turns conversations into prompts ending with the user turn, labels dropped', () => {
    const [first] = promptsFromConversations(ANNOTATED_CONVERSATIONS, { idPrefix: 'c' });
    expect(first).toEqual({ id: 'c0', turns: [{ role: 'user', text: 'what do cats like?' }] });
  });
});

describe('responseText', () => {
  it("drops the template's end-of-turn newline of a stopped response only", () => {
    const usage = { promptTokens: 1, completionTokens: 1 };
    expect(responseText({ text: 'an answer\n', finishReason: 'stop', usage })).toBe('an answer');
    expect(responseText({ text: 'cut off\n', finishReason: 'length', usage })).toBe('cut off\n');
  });
});

describe('runBootstrap over HTTP', () => {
  let server: TestServer;
  let directory: string;
  let combinations: Awaited<ReturnType<typeof collectAttributeCombinations>>;
  let reference: Map<string, BootstrapRecord>;
  beforeAll(async () => {
    server = await startTestServer({ model: local });
    directory = await mkdtemp(join(tmpdir(), 'steerlm-bootstrap-'));
    combinations = await collectAttributeCombinations(ANNOTATED_CONVERSATIONS, { schema: OASST });
    // The reference: the same job through the local model, no HTTP.
    const output = join(directory, 'reference.jsonl');
    await runBootstrap({ prompts, combinations, model: local, scorer: lengthScorer, output, samplesPerPrompt: 3, seed: 5, sampling });
    reference = byKey(await readRecords(output));
  });
  afterAll(async () => {
    await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  const remote = (timeoutMs = 5000) =>
    createOpenAICompatibleModel({ baseURL: server.url, model: 'tiny', timeoutMs, retries: 4, backoff: { initialDelayMs: 5, maxDelayMs: 20 } });

  it('writes re-annotated VALUE_TO_TEXT NeMo records despite 429s, 500s, drops and slow responses', async () => {
    server.faults.failNext(2, 429, 0).failNext(1, 500).dropNext(1).delayNext(1, 1500).failNext(1, 503);
    const output = join(directory, 'faults.jsonl');
    const events: ProgressEvent[] = [];
    const summary = await runBootstrap({
      prompts,
      combinations,
      model: remote(300),
      scorer: lengthScorer,
      output,
      samplesPerPrompt: 3,
      seed: 5,
      sampling,
      concurrency: 3,
      onProgress: (event) => events.push(event),
    });
    expect(summary).toMatchObject({ written: 36, resumed: 0, total: 36 });
    expect(server.faults.pending).toBe(0);
    const records = await readRecords(output);
    expect(records).toHaveLength(36);
    expect(byKey(records)).toEqual(reference);
    for (const record of records) {
      validateNemoRecord(record, { schema: OASST });
      expect(record.type).toBe('VALUE_TO_TEXT');
      expect(record.conversations).toHaveLength(2);
      const [scored] = await lengthScorer.score([{ context: [], response: record.conversations[1]!.value }]);
      expect(record.conversations[1]!.label).toBe(formatAttributes(scored!.rounded, OASST));
      expect(record.requested_label).toBe(formatAttributes(pickCombination(combinations, record.prompt_id, 5), OASST));
    }
    const requested = server.stats.bodies.filter((body) => body.prompt !== undefined).at(-1)!;
    expect(requested).toMatchObject({ top_k: 50, stop: ['<extra_id_1>', '<extra_id_0>', '<extra_id_2>'], max_tokens: 60 });
    expect(String(requested.prompt)).toMatch(/<extra_id_1>Assistant\n<extra_id_2>quality:4,toxicity:0,humor:\d,creativity:\d\n$/);
    const steps = events.filter((event) => event.type === 'step-end');
    expect(steps).toHaveLength(36);
    expect(steps.at(-1)).toMatchObject({ step: 36, total: 36 });
    expect(steps.every((event) => event.type === 'step-end' && typeof event.rate === 'number' && typeof event.etaMs === 'number')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'job-end', summary: { written: 36 } });
  });

  it('resumes a file with a torn last line: no duplicates, no gaps, same records', async () => {
    const output = join(directory, 'torn.jsonl');
    const complete = [...reference.values()].slice(0, 10);
    await writeFile(output, complete.map((record) => `${JSON.stringify(record)}\n`).join(''));
    await appendFile(output, JSON.stringify([...reference.values()][10]).slice(0, 40));
    const events: ProgressEvent[] = [];
    const summary = await runBootstrap({
      prompts,
      combinations,
      model: remote(),
      scorer: lengthScorer,
      output,
      samplesPerPrompt: 3,
      seed: 5,
      sampling,
      onProgress: (event) => events.push(event),
    });
    expect(summary).toMatchObject({ written: 26, resumed: 10, total: 36 });
    expect(events.some((event) => event.type === 'warning' && /torn last line/.test(event.message))).toBe(true);
    const records = await readRecords(output);
    expect(records).toHaveLength(36);
    expect(byKey(records)).toEqual(reference);
  });

  it('stops when aborted, keeping only complete records, and resumes to the same output', async () => {
    const output = join(directory, 'aborted.jsonl');
    const controller = new AbortController();
    const run = (signal?: AbortSignal) =>
      runBootstrap({
        prompts,
        combinations,
        model: local,
        scorer: lengthScorer,
        output,
        samplesPerPrompt: 3,
        seed: 5,
        sampling,
        concurrency: 1,
        ...(signal
          ? { signal, onProgress: (event: ProgressEvent) => event.type === 'step-end' && event.step === 5 && controller.abort(new Error('stop now')) }
          : {}),
      });
    await expect(run(controller.signal)).rejects.toThrow('stop now');
    expect((await readRecords(output)).length).toBeGreaterThanOrEqual(5);
    expect((await readRecords(output)).length).toBeLessThan(36);
    await run();
    expect(byKey(await readRecords(output))).toEqual(reference);
  });

  it('leaves out empty responses, counted, instead of failing the run on them', async () => {
    const output = join(directory, 'empty.jsonl');
    let calls = 0;
    // A model that answers with the end of turn right away every other time (as a tiny model does).
    const terse: LanguageModel = {
      specificationVersion: 'v1',
      modelId: 'terse',
      logProbability: (prompt, continuation) => local.logProbability(prompt, continuation),
      generate: async (prompt, options) =>
        (calls += 1) % 2 === 0 ? { text: '', finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 } } : local.generate(prompt, options),
    };
    const summary = await runBootstrap({
      prompts,
      combinations,
      model: terse,
      scorer: lengthScorer,
      output,
      samplesPerPrompt: 2,
      seed: 5,
      sampling,
      concurrency: 1,
    });
    expect(summary).toMatchObject({ written: 12, emptyResponses: 12, total: 24 });
    const records = await readRecords(output);
    expect(records).toHaveLength(12);
    for (const record of records) expect(record.conversations[1]!.value.trim()).not.toBe('');
  });

  it('writes the records in input order (prompt, then sample) whatever order the answers finish in', async () => {
    const output = join(directory, 'ordered.jsonl');
    // Answers to later prompts come back first: each prompt's delay falls with its index.
    const reversed: LanguageModel = {
      specificationVersion: 'v1',
      modelId: 'reversed',
      logProbability: (prompt, continuation) => local.logProbability(prompt, continuation),
      generate: async (prompt, options) => {
        const index = Number(/\((\d+)\)/.exec(prompt)?.[1] ?? 0);
        await new Promise((resolve) => setTimeout(resolve, (12 - index) * 4));
        return local.generate(prompt, options);
      },
    };
    const summary = await runBootstrap({
      prompts,
      combinations,
      model: reversed,
      scorer: lengthScorer,
      output,
      samplesPerPrompt: 2,
      seed: 5,
      sampling,
      concurrency: 6,
    });
    expect(summary.written).toBe(24);
    const keys = (await readRecords(output)).map((record) => bootstrapRecordKey(record));
    expect(keys).toEqual(prompts.flatMap((prompt) => [0, 1].map((index) => bootstrapRecordKey({ prompt_id: prompt.id, sample_index: index }))));
  });

  it('refuses an output file damaged in the middle', async () => {
    const output = join(directory, 'damaged.jsonl');
    await writeFile(output, `${JSON.stringify([...reference.values()][0])}\n{"broken\n${JSON.stringify([...reference.values()][1])}\n`);
    await expect(runBootstrap({ prompts, combinations, model: local, scorer: lengthScorer, output, sampling })).rejects.toThrow(
      /damaged.jsonl:2.*malformed record in the middle/,
    );
  });

  it('survives SIGKILL of a running child process and resumes without duplicates or gaps', async () => {
    const slow = await startTestServer({ model: local, latencyMs: 40 });
    const output = join(directory, 'killed.jsonl');
    const script = join(directory, 'child.mts');
    const conversations = fileURLToPath(new URL('./testing/annotated-conversations.ts', import.meta.url));
    const scorer = fileURLToPath(new URL('./testing/length-scorer.ts', import.meta.url));
    await writeFile(
      script,
      `import { collectAttributeCombinations } from '@steerlm/bootstrap';
import { runBootstrap } from '@steerlm/bootstrap/node';
import { createOpenAICompatibleModel, OASST } from '@steerlm/core';
import { ANNOTATED_CONVERSATIONS } from ${JSON.stringify(conversations)};
import { lengthScorer } from ${JSON.stringify(scorer)};
const [url, output] = process.argv.slice(2);
const prompts = ${JSON.stringify(prompts)};
const combinations = await collectAttributeCombinations(ANNOTATED_CONVERSATIONS, { schema: OASST });
const model = createOpenAICompatibleModel({ baseURL: url, model: 'tiny', concurrency: 2 });
await runBootstrap({ prompts, combinations, model, scorer: lengthScorer, output, samplesPerPrompt: 3, seed: 5, sampling: ${JSON.stringify(sampling)}, concurrency: 2 });
`,
    );
    // Resolve @steerlm/* to the TypeScript sources, as vitest does, with a module resolve hook; tsx compiles them.
    const aliases = Object.fromEntries(
      ['core', 'bootstrap', 'test-server'].map((name) => [`@steerlm/${name}`, new URL(`../../${name}/src/index.ts`, import.meta.url).href]),
    );
    aliases['@steerlm/bootstrap/node'] = new URL('./node.ts', import.meta.url).href;
    await writeFile(
      join(directory, 'aliases.mjs'),
      `const aliases = ${JSON.stringify(aliases)};
export async function resolve(specifier, context, next) {
  return next(aliases[specifier] ?? specifier, context);
}
`,
    );
    await writeFile(
      join(directory, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(directory, 'aliases.mjs')).href)});\n`,
    );
    const packageRoot = fileURLToPath(new URL('..', import.meta.url));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', '--import', join(directory, 'register.mjs'), script, slow.url, output], {
        cwd: packageRoot,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      const deadline = Date.now() + 60_000;
      for (;;) {
        const lines = await readFile(output, 'utf8').then(
          (text) => text.split('\n').length - 1,
          () => 0,
        );
        if (lines >= 8) break;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the child ended early or was too slow (exit ${child.exitCode}): ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const before = (await readFile(output, 'utf8')).split('\n').length - 1;
      expect(before).toBeLessThan(36);
      const summary = await runBootstrap({ prompts, combinations, model: remote(), scorer: lengthScorer, output, samplesPerPrompt: 3, seed: 5, sampling });
      expect(summary.resumed).toBeGreaterThanOrEqual(8);
      expect(summary.resumed + summary.written).toBe(36);
      const records = await readRecords(output);
      expect(records).toHaveLength(36);
      expect(new Set(records.map(bootstrapRecordKey)).size).toBe(36);
      expect(byKey(records)).toEqual(reference);
    } finally {
      await slow.close();
    }
  });
});
