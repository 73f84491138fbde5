import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeAdherence, type AdherenceSample } from '../adherence/attribute-adherence';
import { fleissKappa } from '../agreement';
import { eloRatings } from '../elo';
import { summarizePairwise, type PairwiseResult } from '../judge/pairwise-comparison';
import { summarizeGrades, type GradingResult } from '../judge/single-answer-grading';
import { summarizeTextStatistics } from '../text-statistics/text-statistics';
import { HELPSTEER } from '@steerlm/core';
import { escapeMarkup, renderHtmlReport, reportToJson, type EvaluationReport } from './index';
import { writeEvaluationReport } from './write-report';
import { findElements, parseMarkup, textContent } from './testing/well-formed-markup';

const hostile = `<script>alert("x")</script> & 'quoted' </td></table>`;

function fixtureReport(): EvaluationReport {
  const grid = [{ attribute: 'verbosity', values: [0, 1, 2, 3, 4] }];
  const samples: AdherenceSample[] = [0, 1, 2, 3, 4].map((value) => ({
    prompt: 0,
    sample: 0,
    requested: { verbosity: value, helpfulness: 4 },
    response: value === 2 ? hostile : `response ${value}`,
    finishReason: 'stop',
    measured: { verbosity: Math.min(3, value) + 0.25 },
    measuredRounded: { verbosity: Math.min(3, value) },
  }));
  const grades: GradingResult[] = [
    { id: '0', model: hostile, score: 7, unparseable: null, reply: 'Rating: [[7]]' },
    { id: '1', model: hostile, score: null, unparseable: 'no-verdict', reply: '?' },
    { id: '0', model: 'baseline', score: 5, unparseable: null, reply: 'Rating: [[5]]' },
  ];
  const order = (winner: 'A' | 'B') => ({ shownFirst: 'A' as const, winner, unparseable: null, reply: `[[${winner}]]` });
  const pairs: PairwiseResult[] = [
    { id: '0', modelA: hostile, modelB: 'baseline', winner: 'A', consistent: true, unparseable: false, orders: [order('A'), order('A')] },
    { id: '1', modelA: hostile, modelB: 'baseline', winner: 'tie', consistent: false, unparseable: false, orders: [order('A'), order('B')] },
  ];
  const pairwise = summarizePairwise(pairs);
  return {
    title: `Evaluation ${hostile}`,
    createdAt: '2025-01-01T00:00:00.000Z',
    metadata: { model: hostile, seed: 1, note: 'a "quoted" value' },
    adherence: {
      modelId: hostile,
      grid,
      fixed: { helpfulness: 4 },
      prompts: 1,
      skippedPrompts: [],
      measure: 'values',
      attributes: summarizeAdherence(samples, grid, HELPSTEER),
      samples,
    },
    grading: { judge: 'judge <1>', summaries: summarizeGrades(grades), results: grades },
    pairwise: { summary: pairwise, results: pairs },
    baseline: { candidate: hostile, baseline: 'baseline', ratio: 1.4, percent: 140, candidateSum: 7, baselineSum: 5, pairs: 1, excluded: 1 },
    elo: eloRatings(pairwise.battles, { orderings: 200, bootstrapRounds: 50 }),
    agreement: {
      ...fleissKappa([
        [2, 0],
        [1, 1],
        [0, 2],
      ]),
      description: `three judges ${hostile}`,
    },
    textStatistics: { [hostile]: summarizeTextStatistics(['The cat sat on the mat.']), baseline: summarizeTextStatistics(['Hi.']) },
  };
}

describe('HTML report', () => {
  it('is well-formed, self-contained, escapes every text and holds the SVG charts', () => {
    const html = renderHtmlReport(fixtureReport());
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    const tree = parseMarkup(html);
    // Hostile text never becomes markup: no script element, no stray table closings.
    expect(findElements(tree, 'script')).toHaveLength(0);
    expect(findElements(tree, 'html')).toHaveLength(1);
    expect(textContent(findElements(tree, 'h1')[0]!)).toBe(`Evaluation ${hostile}`);
    expect(textContent(findElements(tree, 'body')[0]!)).toContain(hostile);
    // Self-contained: inline CSS and SVG only, nothing fetched.
    expect(findElements(tree, 'link')).toHaveLength(0);
    expect(findElements(tree, 'img')).toHaveLength(0);
    expect(findElements(tree, 'style')).toHaveLength(1);
    expect(html).not.toMatch(/url\(|@import|src=|href=/);
    // Charts: steering curves, score histogram, Elo ladder, text length.
    const svgs = findElements(tree, 'svg');
    expect(svgs.map((svg) => svg.attributes.class)).toEqual(['chart line-chart', 'chart histogram', 'chart bar-chart', 'chart bar-chart']);
    expect(findElements(svgs[0]!, 'polyline').length).toBeGreaterThanOrEqual(2);
    expect(findElements(svgs[2]!, 'g').filter((group) => group.attributes.class === 'error-bar')).toHaveLength(2);
    const sections = findElements(tree, 'section').map((section) => section.attributes.id);
    expect(sections).toEqual(['metadata', 'adherence', 'grading', 'baseline', 'pairwise', 'elo', 'agreement', 'text-statistics']);
    // The adherence table cell values are the computed numbers.
    const adherenceRow = findElements(
      findElements(tree, 'section').find((section) => section.attributes.id === 'adherence')!,
      'tr',
    )[1]!;
    expect(findElements(adherenceRow, 'td').map(textContent)).toEqual(['verbosity', '5', '0.350', '0.975', '0.800']);
  });

  it('escapes the five markup characters', () => {
    expect(escapeMarkup(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
    expect(escapeMarkup('bell\u0007')).toBe('bell');
  });

  it('writes the JSON and HTML files of a run; the JSON round-trips with NaN as null', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'steerlm-report-'));
    try {
      const report = { ...fixtureReport(), metadata: { missing: Number.NaN } } as EvaluationReport;
      const { jsonPath, htmlPath } = await writeEvaluationReport(report, join(directory, 'nested'), 'run');
      const json = JSON.parse(await readFile(jsonPath, 'utf8')) as { metadata: { missing: unknown }; elo: { ratings: unknown[] } };
      expect(json.metadata.missing).toBeNull();
      expect(json.elo.ratings).toHaveLength(2);
      expect(reportToJson(report)).toBe(await readFile(jsonPath, 'utf8'));
      const html = await readFile(htmlPath, 'utf8');
      expect(findElements(parseMarkup(html), 'svg')).toHaveLength(4);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
