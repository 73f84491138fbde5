import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAttributeSchema, type AttributeScore, type AttributeScorer, type ScoringInput } from '@steerlm/core';
import { annotateNemoFile } from './annotate-nemo-file';

const schema = defineAttributeSchema({ attributes: [{ name: 'quality', min: 0, max: 4 }] });

/** A scorer whose quality is the response length mod 5; calls finish out of order (odd calls are slower), and it counts calls at once. */
function unevenScorer(failAtCall = Infinity): AttributeScorer & { most: number } {
  let calls = 0;
  let running = 0;
  const scorer = {
    specificationVersion: 'v1' as const,
    schema,
    most: 0,
    async score(inputs: readonly ScoringInput[]): Promise<AttributeScore[]> {
      calls += 1;
      const call = calls;
      running += 1;
      scorer.most = Math.max(scorer.most, running);
      await new Promise((resolve) => setTimeout(resolve, call % 2 === 1 ? 30 : 2));
      running -= 1;
      if (call >= failAtCall) throw new Error('killed');
      return inputs.map((input) => ({ values: { quality: input.response.length % 5 }, rounded: { quality: input.response.length % 5 } }));
    },
  };
  return scorer;
}

/** NeMo records with 0 to 3 assistant turns each (one without any), responses of different lengths. */
function nemoRecords(count: number): string {
  return Array.from({ length: count }, (_, index) => {
    const conversations = [];
    for (let turn = 0; turn < index % 4; turn += 1) {
      conversations.push({ from: 'User', value: `question ${index}.${turn}`, label: null });
      conversations.push({ from: 'Assistant', value: 'a'.repeat(1 + ((index * 7 + turn * 3) % 11)), label: null });
    }
    if (conversations.length === 0) conversations.push({ from: 'User', value: `lonely question ${index}`, label: null });
    return JSON.stringify({ system: 'A chat.', mask: 'User', type: 'VALUE_TO_TEXT', id: index, conversations });
  }).join('\n');
}

let folder: string;
let data: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'annotate-nemo-'));
  data = join(folder, 'data.jsonl');
  await writeFile(data, `${nemoRecords(13)}\n`);
});
afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('annotateNemoFile', () => {
  it('with 2 calls in flight writes the file of one call at a time (records in order, labels in place), and resumes after a kill', async () => {
    const sequential = join(folder, 'sequential.jsonl');
    const reference = await annotateNemoFile({ scorer: unevenScorer(), data, output: sequential, batchSize: 2 });
    for (const batchSize of [1, 2, 5]) {
      const scorer = unevenScorer();
      const output = join(folder, `pipelined-${batchSize}.jsonl`);
      const summary = await annotateNemoFile({ scorer, data, output, batchSize, batchesInFlight: 2 });
      expect(summary).toMatchObject({ records: 13, responses: reference.responses, scored: reference.responses });
      expect(scorer.most).toBe(2);
      expect(await readFile(output, 'utf8'), `batch size ${batchSize}`).toBe(await readFile(sequential, 'utf8'));
    }
    const output = join(folder, 'killed.jsonl');
    await expect(annotateNemoFile({ scorer: unevenScorer(4), data, output, batchSize: 2, batchesInFlight: 2 })).rejects.toThrow('killed');
    const partial = (await readFile(`${output}.partial`, 'utf8')).split('\n').filter(Boolean);
    expect(partial.length).toBeGreaterThan(0);
    const resumed = await annotateNemoFile({ scorer: unevenScorer(), data, output, batchSize: 2, batchesInFlight: 2 });
    expect(resumed.resumed).toBe(partial.length);
    expect(await readFile(output, 'utf8')).toBe(await readFile(sequential, 'utf8'));
    expect(reference.responses).toBe(18);
  });
});
