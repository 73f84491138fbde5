import type { AdherenceResult } from '../adherence/attribute-adherence';
import { escapeMarkup } from './escape-markup';
import type { EvaluationReport } from './evaluation-report';
import { renderBarChart } from './svg/bar-chart';
import { equalWidthEdges, renderHistogram } from './svg/histogram';
import { renderLineChart, type LineSeries } from './svg/line-chart';

const styles = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1080px;padding:24px;color:#1d1d1f;background:#fafafa}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px}p.meta{color:#666;margin:0 0 16px}
table{border-collapse:collapse;margin:8px 0 16px;background:#fff;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}th{background:#f0f0f0}
td.text,th.text{text-align:left;white-space:pre-wrap;max-width:520px}
figure{margin:8px 0 16px;display:inline-block;background:#fff;border:1px solid #e4e4e4}
p.note{color:#555;font-size:13px;max-width:820px}
`;

/** Returns a number for a table cell: fixed decimals, or an em dash when missing. */
function cell(value: number | null | undefined, decimals = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(decimals);
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], textColumns: readonly number[] = [0]): string {
  const head = headers.map((header, index) => `<th${textColumns.includes(index) ? ' class="text"' : ''}>${escapeMarkup(header)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((value, index) => `<td${textColumns.includes(index) ? ' class="text"' : ''}>${escapeMarkup(value)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function figure(svg: string): string {
  return `<figure>${svg}</figure>`;
}

/** Returns one line chart per attribute range: every swept attribute's curve plus the ideal y = x. */
export function renderSteeringCurves(adherence: AdherenceResult): string[] {
  const byRange = new Map<string, AdherenceResult['attributes'][number][]>();
  for (const entry of adherence.attributes) {
    const key = `${entry.min}..${entry.max}`;
    byRange.set(key, [...(byRange.get(key) ?? []), entry]);
  }
  return [...byRange].map(([range, entries]) => {
    const { min, max } = entries[0]!;
    const series: LineSeries[] = entries.map((entry) => ({
      name: entry.attribute,
      points: entry.curve.map((point) => ({ x: point.requested, y: point.meanMeasured })),
    }));
    series.push({
      name: 'ideal (measured = requested)',
      dashed: true,
      color: '#888888',
      points: [
        { x: min, y: min },
        { x: max, y: max },
      ],
    });
    return renderLineChart({
      title: `Steering curves (${range})`,
      xLabel: 'requested value',
      yLabel: `mean measured value (${adherence.measure})`,
      series,
      xDomain: [min, max],
    });
  });
}

function adherenceSection(adherence: AdherenceResult): string {
  const rows = adherence.attributes.map((entry) => [
    entry.attribute,
    String(entry.samples),
    cell(entry.meanAbsoluteError),
    cell(entry.spearman),
    cell(entry.exactMatchRate),
  ]);
  const curves = adherence.attributes.flatMap((entry) =>
    entry.curve.map((point) => [entry.attribute, String(point.requested), cell(point.meanMeasured), cell(point.standardDeviation), String(point.count)]),
  );
  const fixed =
    Object.entries(adherence.fixed)
      .map(([name, value]) => `${name}:${value}`)
      .join(', ') || 'none';
  const examples = adherence.samples.slice(0, 12).map((sample) => [
    Object.entries(sample.requested)
      .map(([name, value]) => `${name}:${value}`)
      .join(','),
    Object.entries(sample.measured)
      .map(([name, value]) => `${name}:${cell(value, 2)}`)
      .join(','),
    sample.response,
  ]);
  return (
    `<section id="adherence"><h2>Attribute adherence — ${escapeMarkup(adherence.modelId)}</h2>` +
    `<p class="note">${adherence.prompts} prompts × grid cells; attributes held fixed: ${escapeMarkup(fixed)}. MAE is the mean |requested − measured|; ` +
    `Spearman ρ measures whether higher requests give higher measurements; exact match compares rounded measurements with the request.</p>` +
    table(['attribute', 'samples', 'MAE', 'Spearman ρ', 'exact match'], rows) +
    renderSteeringCurves(adherence).map(figure).join('') +
    `<h3>Steering curve data</h3>` +
    table(['attribute', 'requested', 'mean measured', 'std. dev.', 'n'], curves) +
    `<h3>Example responses</h3>` +
    table(['requested', 'measured', 'response'], examples, [0, 1, 2]) +
    `</section>`
  );
}

function gradingSection(grading: NonNullable<EvaluationReport['grading']>): string {
  const rows = grading.summaries.map((summary) => [summary.model, String(summary.graded), String(summary.unparseable), cell(summary.meanScore, 2)]);
  const histogram = renderHistogram({
    title: 'Judge score distribution',
    xLabel: 'score (1–10)',
    series: grading.summaries.map((summary) => ({
      name: summary.model,
      values: grading.results.filter((result) => (result.model ?? 'model') === summary.model && result.score !== null).map((result) => result.score!),
    })),
    edges: equalWidthEdges(0.5, 10.5, 10),
    xTicks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  });
  return (
    `<section id="grading"><h2>Single-answer grading${grading.judge ? ` — judge ${escapeMarkup(grading.judge)}` : ''}</h2>` +
    `<p class="note">Each answer rated 1–10 by the judge (verdict "Rating: [[n]]"). Unparseable replies are counted and left out of the mean.</p>` +
    table(['model', 'graded', 'unparseable', 'mean score'], rows) +
    figure(histogram) +
    `</section>`
  );
}

function pairwiseSection(pairwise: NonNullable<EvaluationReport['pairwise']>): string {
  const summary = pairwise.summary;
  const rows = [
    ['comparisons', String(summary.comparisons)],
    ['decided (battles)', String(summary.decided)],
    ['A wins', String(summary.winsA)],
    ['B wins', String(summary.winsB)],
    ['ties (incl. inconsistent)', String(summary.ties)],
    ['inconsistent across orders → tie', String(summary.inconsistent)],
    ['unparseable (left out)', String(summary.unparseable)],
    ['unparseable replies', String(summary.unparseableReplies)],
  ];
  return (
    `<section id="pairwise"><h2>Pairwise comparison${pairwise.judge ? ` — judge ${escapeMarkup(pairwise.judge)}` : ''}</h2>` +
    `<p class="note">Every pair is judged in both answer orders; a win counts only when both orders agree, otherwise it is a tie.</p>` +
    table(['count', 'value'], rows) +
    `</section>`
  );
}

function baselineSection(baseline: NonNullable<EvaluationReport['baseline']>): string {
  return (
    `<section id="baseline"><h2>Score relative to baseline</h2>` +
    table(
      ['candidate', 'baseline', '% of baseline score', 'candidate sum', 'baseline sum', 'questions', 'excluded'],
      [
        [
          baseline.candidate,
          baseline.baseline,
          cell(baseline.percent, 1),
          cell(baseline.candidateSum, 1),
          cell(baseline.baselineSum, 1),
          String(baseline.pairs),
          String(baseline.excluded),
        ],
      ],
      [0, 1],
    ) +
    `</section>`
  );
}

function eloSection(elo: NonNullable<EvaluationReport['elo']>): string {
  const percent = Math.round(elo.confidence * 100);
  const rows = elo.ratings.map((rating) => [
    rating.model,
    cell(rating.rating, 1),
    `${cell(rating.lower, 1)} – ${cell(rating.upper, 1)}`,
    String(rating.wins),
    String(rating.losses),
    String(rating.ties),
  ]);
  const chart = renderBarChart({
    title: `Elo ladder (${percent}% bootstrap intervals)`,
    yLabel: 'Elo rating',
    includeZero: false,
    bars: elo.ratings.map((rating) => ({ label: rating.model, value: rating.rating, lower: rating.lower, upper: rating.upper })),
  });
  return (
    `<section id="elo"><h2>Elo ratings</h2>` +
    `<p class="note">Start ${elo.initialRating}, K = ${elo.k}, averaged over ${elo.orderings} random orderings of ${elo.battles} battles (seed ${elo.seed}); ` +
    `intervals from ${elo.bootstrapRounds} bootstrap resamples of the battles.</p>` +
    table(['model', 'rating', `${percent}% interval`, 'wins', 'losses', 'ties'], rows) +
    figure(chart) +
    `</section>`
  );
}

function agreementSection(agreement: NonNullable<EvaluationReport['agreement']>): string {
  return (
    `<section id="agreement"><h2>Rater agreement (Fleiss' κ)</h2>` +
    (agreement.description ? `<p class="note">${escapeMarkup(agreement.description)}</p>` : '') +
    table(
      ['subjects', 'raters', 'observed P̄', 'chance P̄e', 'κ'],
      [[String(agreement.subjects), String(agreement.raters), cell(agreement.observedAgreement), cell(agreement.expectedAgreement), cell(agreement.kappa)]],
      [],
    ) +
    `</section>`
  );
}

function textStatisticsSection(statistics: NonNullable<EvaluationReport['textStatistics']>): string {
  const entries = Object.entries(statistics);
  const rows = entries.map(([name, summary]) => [
    name,
    String(summary.texts),
    cell(summary.meanCharacters, 1),
    cell(summary.meanWords, 1),
    cell(summary.meanUniqueWords, 1),
    cell(summary.meanFleschKincaidGrade, 2),
  ]);
  const chart = renderBarChart({
    title: 'Mean response length',
    yLabel: 'characters',
    bars: entries.map(([name, summary]) => ({ label: name, value: summary.meanCharacters })),
  });
  return (
    `<section id="text-statistics"><h2>Text statistics</h2>` +
    table(['model', 'texts', 'mean characters', 'mean words', 'mean unique words', 'mean FKGL'], rows) +
    figure(chart) +
    `</section>`
  );
}

/** Returns a self-contained HTML page (inline CSS and SVG, no external assets) of the report; all text is escaped. */
export function renderHtmlReport(report: EvaluationReport): string {
  const metadata = Object.entries(report.metadata ?? {}).map(([key, value]) => [key, String(value)]);
  const sections = [
    metadata.length > 0 ? `<section id="metadata"><h2>Run</h2>${table(['setting', 'value'], metadata, [0, 1])}</section>` : '',
    report.adherence ? adherenceSection(report.adherence) : '',
    report.grading ? gradingSection(report.grading) : '',
    report.baseline ? baselineSection(report.baseline) : '',
    report.pairwise ? pairwiseSection(report.pairwise) : '',
    report.elo ? eloSection(report.elo) : '',
    report.agreement ? agreementSection(report.agreement) : '',
    report.textStatistics ? textStatisticsSection(report.textStatistics) : '',
  ];
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>` +
    `<title>${escapeMarkup(report.title)}</title><style>${styles}</style></head><body>` +
    `<h1>${escapeMarkup(report.title)}</h1><p class="meta">Generated ${escapeMarkup(report.createdAt)} by @steerlm/evaluators</p>` +
    sections.join('') +
    `</body></html>\n`
  );
}
