import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEERLM } from '@steerlm/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertDataFile } from './convert-data-file';
import { datasetStats } from './dataset-stats';
import { lengthQuantiles } from './length-quantiles';
import { renderStatsHtml } from './stats-html-report';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'steerlm-stats-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe('datasetStats', () => {
  it('counts an oasst1 export: threads, turns, distinct (labelled) responses and the labels per attribute', async () => {
    const { stats } = await datasetStats({ input: join(fixtures, 'oasst-messages.jsonl.gz'), format: 'oasst1', schema: STEERLM });
    expect(stats).toMatchObject({
      conversations: 7,
      turns: { user: 9, assistant: 8 },
      responses: 7,
      labelledResponses: 7,
      emptyLabels: 1,
      trees: 4,
      orphaned: 1,
      unit: 'characters',
    });
    expect(stats.labels['quality']).toEqual({ '2': 2, '3': 1, '4': 1 });
    expect(stats.labels['humor']).toEqual({ '1': 1, '2': 1, '4': 1 });
    expect(stats.labels['creativity']).toEqual({ '0': 1, '2': 1 });
    expect(stats.labels['helpfulness']).toEqual({});
    expect(stats.lengths.response).toMatchObject({ count: 7, min: 1, max: 35 });
  });

  it('counts the NeMo file converted from it the same, except replies of equal text that NeMo records cannot tell apart', async () => {
    const output = join(folder, 'oasst.jsonl');
    await convertDataFile({ input: join(fixtures, 'oasst-messages.jsonl'), output, format: 'oasst1', to: 'nemo', schema: STEERLM });
    const { stats } = await datasetStats({ input: output, format: 'nemo', schema: STEERLM });
    expect(stats).toMatchObject({ conversations: 7, turns: { user: 9, assistant: 8 }, responses: 6, labelledResponses: 6 });
  });

  it('measures lengths in tokens when given a tokenizer, and reads regression records', async () => {
    const words = (text: string) => text.split(/\s+/).filter((word) => word !== '').length;
    const { stats } = await datasetStats({ input: join(fixtures, 'helpsteer2.parquet'), format: 'helpsteer2', schema: STEERLM, countTokens: words });
    expect(stats.unit).toBe('tokens');
    expect(stats.lengths.response.max).toBe(8);
    expect(stats.labels['verbosity']).toEqual({ '0': 3, '1': 1, '2': 1, '3': 1 });
    const regression = join(folder, 'regression.jsonl');
    await convertDataFile({ input: join(fixtures, 'helpsteer2.jsonl'), output: regression, format: 'helpsteer2', to: 'regression', schema: STEERLM });
    const { stats: fromRegression } = await datasetStats({ input: regression, format: 'regression', schema: STEERLM });
    expect(fromRegression).toMatchObject({ conversations: 6, labelledResponses: 6 });
    expect(fromRegression.labels['verbosity']).toEqual(stats.labels['verbosity']);
  });

  it('renders an HTML report with a bar chart per labelled attribute and length histograms', async () => {
    const { stats, lengths } = await datasetStats({ input: join(fixtures, 'oasst-messages.jsonl'), format: 'oasst1', schema: STEERLM });
    const html = renderStatsHtml(stats, lengths);
    expect(html.match(/<svg/g)).toHaveLength(6);
    expect(html).toContain('<title>quality</title>');
    expect(html).toContain('<td class="text">labelled responses</td><td>7</td>');
    expect(html).not.toContain('helpfulness');
  });
});

describe('lengthQuantiles', () => {
  it('gives nearest-rank quantiles', () => {
    expect(lengthQuantiles([5, 1, 4, 2, 3, 10, 7, 8, 9, 6])).toEqual({ count: 10, mean: 5.5, min: 1, p25: 3, p50: 5, p75: 8, p90: 9, p99: 10, max: 10 });
    expect(lengthQuantiles([])).toMatchObject({ count: 0, max: 0 });
  });
});
