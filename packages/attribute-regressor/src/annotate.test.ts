import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defineAttributeSchema, type AttributeScore, type AttributeScorer, type ScoringInput } from '@steerlm/core';
import { annotate, type AnnotationRecord } from './annotate';

const schema = defineAttributeSchema({
  attributes: [
    { name: 'quality', min: 0, max: 4 },
    { name: 'toxicity', min: 0, max: 4 },
  ],
});

/** A scorer whose quality is the response length / 10 (continuous), counting what it scores. */
function lengthScorer(failAfterCalls = Infinity): AttributeScorer & { scored: string[] } {
  let calls = 0;
  const scored: string[] = [];
  return {
    specificationVersion: 'v1',
    schema,
    scored,
    async score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]> {
      calls += 1;
      if (calls > failAfterCalls) throw new Error('killed');
      scored.push(...inputs.map((input) => input.response));
      return inputs.map((input) => ({
        values: { quality: input.response.length / 10, toxicity: -0.7 },
        rounded: { quality: Math.min(4, Math.round(input.response.length / 10)), toxicity: 0 },
      }));
    },
  };
}

const records = (count: number): AnnotationRecord[] =>
  Array.from({ length: count }, (_, index) => ({
    id: `r${index}`,
    input: { context: [{ role: 'user', text: `q${index}` }], response: 'x'.repeat(index + 1) },
    data: { source: 'test' },
  }));

const directories: string[] = [];
afterAll(async () => {
  for (const directory of directories) await rm(directory, { recursive: true, force: true });
});
async function outputPath(): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'annotate-'));
  directories.push(directory);
  return join(directory, 'labels.jsonl');
}
const lines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { id: string; label: string; source: string });

describe('annotate', () => {
  it('writes one labelled line per record with the attribute string and the continuous values', async () => {
    const output = await outputPath();
    const summary = await annotate({ scorer: lengthScorer(), records: records(5), output, batchSize: 2 });
    expect(summary.written).toBe(5);
    const written = await lines(output);
    expect(written.map((line) => line.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
    expect(written[4]).toMatchObject({ id: 'r4', label: 'quality:1,toxicity:0', source: 'test', values: { quality: 0.5, toxicity: -0.7 } });
  });

  it('resumes after an interrupted run without duplicating records', async () => {
    const output = await outputPath();
    await expect(annotate({ scorer: lengthScorer(2), records: records(10), output, batchSize: 3 })).rejects.toThrow('killed');
    // Nothing half-done appears at the output path; the work so far is in the partial file.
    await expect(stat(output)).rejects.toThrow(/ENOENT/);
    expect((await lines(`${output}.partial`)).length).toBe(6);
    // A kill in the middle of a write leaves half a line behind.
    await appendFile(`${output}.partial`, '{"id":"r6","label":"qual');
    const scorer = lengthScorer();
    const summary = await annotate({ scorer, records: records(10), output, batchSize: 3 });
    expect(summary.repair.kind).toBe('truncated');
    expect(summary.skipped['already-annotated']).toBe(6);
    expect(summary.written).toBe(4);
    expect(summary.resumed).toBe(6);
    expect(scorer.scored).toHaveLength(4);
    await expect(stat(`${output}.partial`)).rejects.toThrow(/ENOENT/);
    const ids = (await lines(output)).map((line) => line.id);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, index) => `r${index}`));
    const again = await annotate({ scorer: lengthScorer(), records: records(10), output });
    expect(again.written).toBe(0);
    expect(again.skipped['already-annotated']).toBe(10);
  });

  it('with 2 batches in flight, scores the next batch while one runs and still writes in input order; a kill keeps the batches before it', async () => {
    // Calls finish out of order (the first call is the slowest); at most 2 run at once.
    let running = 0;
    let most = 0;
    let calls = 0;
    const inner = lengthScorer();
    const slow: AttributeScorer = {
      specificationVersion: 'v1',
      schema,
      async score(inputs) {
        calls += 1;
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, calls === 1 ? 40 : 5));
        running -= 1;
        return inner.score(inputs);
      },
    };
    const [sequential, pipelined] = [await outputPath(), await outputPath()];
    await annotate({ scorer: lengthScorer(), records: records(11), output: sequential, batchSize: 2 });
    const summary = await annotate({ scorer: slow, records: records(11), output: pipelined, batchSize: 2, batchesInFlight: 2 });
    expect(summary.written).toBe(11);
    expect(most).toBe(2);
    expect(await readFile(pipelined, 'utf8')).toBe(await readFile(sequential, 'utf8'));

    const output = await outputPath();
    await expect(annotate({ scorer: lengthScorer(2), records: records(10), output, batchSize: 3, batchesInFlight: 2 })).rejects.toThrow('killed');
    expect((await lines(`${output}.partial`)).map((line) => line.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    await annotate({ scorer: lengthScorer(), records: records(10), output, batchSize: 3, batchesInFlight: 2 });
    const reference = await outputPath();
    await annotate({ scorer: lengthScorer(), records: records(10), output: reference });
    expect(await readFile(output, 'utf8')).toBe(await readFile(reference, 'utf8'));
    await expect(annotate({ scorer: lengthScorer(), records: records(1), output, batchesInFlight: 0 })).rejects.toThrow(
      /batchesInFlight must be a positive integer/,
    );
  });

  it('adds to a finished output by replacing it atomically, keeping its records', async () => {
    const output = await outputPath();
    await annotate({ scorer: lengthScorer(), records: records(3), output });
    const summary = await annotate({ scorer: lengthScorer(), records: records(5), output });
    expect(summary).toMatchObject({ resumed: 3, written: 2 });
    expect((await lines(output)).map((line) => line.id)).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('fails before any scoring when the output cannot be written', async () => {
    const directory = await outputPath();
    await writeFile(directory, 'a file, so nothing can be created below it');
    const scorer = lengthScorer();
    await expect(annotate({ scorer, records: records(3), output: join(directory, 'labels.jsonl') })).rejects.toThrow(/cannot open the file for writing/);
    expect(scorer.scored).toEqual([]);
  });

  it('skips and counts records it cannot score', async () => {
    const output = await outputPath();
    const bad: AnnotationRecord[] = [
      ...records(2),
      { id: 'r0', input: { context: [], response: 'again' } },
      { id: '', input: { context: [], response: 'no id' } },
      { id: 'empty', input: { context: [], response: ' \n ' } },
      { id: 'surrogate', input: { context: [], response: 'broken \uD83D text' } },
      { id: 'shape', input: { response: 'no context' } as unknown as ScoringInput },
    ];
    const summary = await annotate({ scorer: lengthScorer(), records: bad, output });
    expect(summary.written).toBe(2);
    expect(summary.read).toBe(7);
    expect(summary.skipped).toMatchObject({
      'duplicate-id': 1,
      'missing-id': 1,
      'empty-response': 1,
      'invalid-text': 1,
      'invalid-input': 1,
      'already-annotated': 0,
    });
  });

  it('requires custom output lines to keep the id', async () => {
    const output = await outputPath();
    await expect(annotate({ scorer: lengthScorer(), records: records(1), output, toOutput: () => ({ id: 'other' }) })).rejects.toThrow(
      /must keep the record id "r0"/,
    );
  });
});
