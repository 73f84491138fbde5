import { escapeMarkup, renderBarChart, renderHistogram } from '@steerlm/evaluators';
import type { DatasetLengths, DatasetStats } from './dataset-stats';
import type { LengthQuantiles } from './length-quantiles';

const styles = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1080px;padding:24px;color:#1d1d1f;background:#fafafa}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.meta{color:#666;margin:0 0 16px}p.note{color:#555;font-size:13px;max-width:820px}
table{border-collapse:collapse;margin:8px 0 16px;background:#fff;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th{background:#f0f0f0}td.text,th.text{text-align:left}
figure{margin:8px 8px 16px 0;display:inline-block;background:#fff;border:1px solid #e4e4e4}
`;

function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const head = headers.map((header, index) => `<th${index === 0 ? ' class="text"' : ''}>${escapeMarkup(header)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((value, index) => `<td${index === 0 ? ' class="text"' : ''}>${escapeMarkup(String(value))}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** Returns about 30 equal-width bins from 0 to the 99th percentile (longer outliers are left out of the picture). */
function lengthEdges(quantiles: LengthQuantiles): number[] | undefined {
  const end = Math.max(quantiles.p99, 1);
  if (quantiles.count === 0) return undefined;
  const bins = Math.min(30, end);
  return Array.from({ length: bins + 1 }, (_, index) => (end * index) / bins);
}

/**
 * Returns a standalone HTML page of dataset statistics: the counts, one bar chart per labelled
 * attribute (responses per value) and length histograms, as inline SVG.
 */
export function renderStatsHtml(stats: DatasetStats, lengths: DatasetLengths): string {
  const counts = [
    ['records read', stats.records],
    ['conversations', stats.conversations],
    ['user turns', stats.turns.user],
    ['assistant turns', stats.turns.assistant],
    ['distinct responses', stats.responses],
    ['labelled responses', stats.labelledResponses],
    ['empty labels', stats.emptyLabels],
    ...(stats.format === 'oasst1'
      ? [
          ['trees', stats.trees],
          ['messages left out', stats.excluded],
          ['orphaned messages', stats.orphaned],
        ]
      : []),
    ['bad records skipped', stats.skipped],
  ] as const;
  const labelled = Object.entries(stats.labels).filter(([, histogram]) => Object.keys(histogram).length > 0);
  const labelCharts = labelled
    .map(
      ([name, histogram]) =>
        `<figure>${renderBarChart({
          title: name,
          xLabel: 'label',
          yLabel: 'responses',
          width: 340,
          height: 240,
          bars: Object.entries(histogram).map(([value, total]) => ({ label: value, value: total })),
        })}</figure>`,
    )
    .join('');
  const lengthRows = (['conversation', 'response'] as const).map((kind) => {
    const q = stats.lengths[kind];
    return [kind, q.count, round(q.mean), q.min, q.p25, q.p50, q.p75, q.p90, q.p99, q.max];
  });
  const lengthCharts = (['conversation', 'response'] as const)
    .map((kind) => {
      const edges = lengthEdges(stats.lengths[kind]);
      if (edges === undefined) return '';
      return `<figure>${renderHistogram({
        title: `${kind} length`,
        xLabel: stats.unit,
        yLabel: kind === 'conversation' ? 'conversations' : 'responses',
        width: 520,
        height: 300,
        edges,
        series: [{ name: kind, values: lengths[kind] }],
      })}</figure>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeMarkup(`Dataset statistics: ${stats.input}`)}</title><style>${styles}</style></head>
<body>
<h1>Dataset statistics</h1>
<p class="meta">${escapeMarkup(stats.input)} · ${escapeMarkup(stats.format)} · lengths in ${stats.unit}</p>
<h2>Counts</h2>
${table(['', 'count'], counts)}
<h2>Labels</h2>
${
  labelled.length > 0
    ? `${table(
        ['attribute', ...labelValues(stats)],
        labelled.map(([name, histogram]) => [name, ...labelValues(stats).map((value) => histogram[value] ?? 0)]),
      )}${labelCharts}`
    : '<p class="note">No labelled responses.</p>'
}
<h2>Lengths</h2>
${table(['', 'count', 'mean', 'min', 'p25', 'p50', 'p75', 'p90', 'p99', 'max'], lengthRows)}
<p class="note">Conversations are measured as SteerLM training renders them (system prompt, turns, labels); responses once each. The histograms stop at the 99th percentile.</p>
${lengthCharts}
</body></html>
`;
}

/** Returns every label value any attribute has, in numeric order. */
function labelValues(stats: DatasetStats): string[] {
  const values = new Set<string>();
  for (const histogram of Object.values(stats.labels)) for (const value of Object.keys(histogram)) values.add(value);
  return [...values].sort((a, b) => Number(a) - Number(b));
}
