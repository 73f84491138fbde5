import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError, type ProgressEvent } from '@steerlm/core';
import { DEMO_STAGES, formatDemoSummary, resolveDemoOptions, runDemo, type DemoResult } from './index';

let folder: string;
let result: DemoResult;
const events: ProgressEvent[] = [];

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-demo-'));
  result = await runDemo(
    {
      outputDir: folder,
      seed: 3,
      size: 240,
      facts: 6,
      vocabSize: 400,
      model: { hiddenSize: 32, layers: 1, heads: 2 },
      sftSteps: 6,
      bootstrapPrompts: 8,
      bootstrapSteps: 2,
      steeringPrompts: 2,
      correctnessPrompts: 6,
      generationBatchSize: 32,
      batchSize: 16,
    },
    { onEvent: (event) => events.push(event) },
  );
}, 300_000);

afterAll(async () => rm(folder, { recursive: true, force: true }));

describe('runDemo at a tiny size', () => {
  it('runs every stage and reports progress per stage', () => {
    expect(result.stages.map((stage) => stage.name)).toEqual([...DEMO_STAGES]);
    const demoSteps = events.filter((event) => event.type === 'step-end' && event.job === 'demo');
    expect(demoSteps).toHaveLength(DEMO_STAGES.length);
    const jobs = new Set(events.map((event) => event.job));
    for (const job of ['demo', 'attribute-model', 'sft:conditioned', 'sft:plain', 'bootstrap', 'sft:bootstrap', 'evaluate:steering'])
      expect(jobs).toContain(job);
    expect(events.at(-1)).toMatchObject({ type: 'job-end', job: 'demo' });
  });

  it('returns every claim with its numbers', () => {
    const { claims } = result;
    expect(claims.seed).toBe(3);
    expect(claims.apm.trainedOn).toBe(72);
    expect(claims.apm.annotated).toBe(168);
    for (const name of ['quality', 'toxicity', 'humor', 'verbosity']) {
      expect(claims.apm.meanAbsoluteError[name]).toBeGreaterThanOrEqual(0);
      expect(claims.steering[name]!.requested.length).toBe(claims.steering[name]!.curve.length);
      expect(claims.bootstrap.steeringAfter[name]).toBeDefined();
    }
    expect(claims.correctness.trainingData).toBeGreaterThan(0.2);
    for (const share of [claims.correctness.plainSft, claims.correctness.conditionedAtTopQuality, claims.bootstrap.correctnessAfter]) {
      expect(share).toBeGreaterThanOrEqual(0);
      expect(share).toBeLessThanOrEqual(1);
    }
    expect(claims.bootstrap.samples).toBe(8);
    expect(Object.keys(claims.goals)).toEqual(['correctnessGain', 'spearman.verbosity', 'spearman.humor', 'spearman.toxicity', 'wallTime']);
    expect(JSON.parse(JSON.stringify(claims))).toEqual(claims);
    expect(result.steering.samples).toHaveLength(2 * (3 + 5 + 5 + 5));
    expect(result.correctnessSamples.plain).toHaveLength(6);
  });

  it('writes the JSON and HTML report and a terminal summary', async () => {
    const json = JSON.parse(await readFile(result.report.json, 'utf8')) as { claims: { seed: number } };
    expect(json.claims.seed).toBe(3);
    const html = await readFile(result.report.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Steering curves');
    expect((await readFile(join(folder, 'bootstrap.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(8);
    const summary = formatDemoSummary(result);
    expect(summary).toContain('plain SFT');
    expect(summary).toContain('verbosity');
  });
});

describe('resolveDemoOptions', () => {
  it('fills defaults and rejects bad values', () => {
    expect(resolveDemoOptions().sftSteps).toBeGreaterThan(0);
    expect(resolveDemoOptions({ sftSteps: 7 }).baselineSteps).toBe(7);
    expect(() => resolveDemoOptions({ sftSteps: 0 })).toThrow(InvalidOptionError);
    expect(() => resolveDemoOptions({ model: { hiddenSize: 30, heads: 4 } })).toThrow(/divisible/);
    expect(() => resolveDemoOptions({ backend: 'gpu' as never })).toThrow(/backend/);
  });
});
