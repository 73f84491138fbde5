import { InvalidOptionError } from '@steerlm/core';
import { escapeMarkup } from '../escape-markup';
import { horizontalAxis, legend, legendWidth, openChart, plotArea, seriesColor, verticalAxis, type ChartFrameOptions } from './chart-frame';
import { coordinate, linearScale, niceDomain } from './linear-scale';

/** Returns how many of `values` fall in each bin [edges[i], edges[i+1]) — the last bin includes its right edge; values outside are not counted. */
export function histogramCounts(values: readonly number[], edges: readonly number[]): number[] {
  if (edges.length < 2 || edges.some((edge, index) => index > 0 && !(edge > edges[index - 1]!))) {
    throw new InvalidOptionError('histogram edges must be at least two strictly increasing numbers', { option: 'edges' });
  }
  const counts = new Array<number>(edges.length - 1).fill(0);
  const last = edges[edges.length - 1]!;
  for (const value of values) {
    if (!Number.isFinite(value) || value < edges[0]! || value > last) continue;
    let bin = 0;
    while (bin < counts.length - 1 && value >= edges[bin + 1]!) bin += 1;
    counts[bin]! += 1;
  }
  return counts;
}

/** Returns `count` equal-width bin edges from `start` to `end`. */
export function equalWidthEdges(start: number, end: number, count: number): number[] {
  if (!Number.isSafeInteger(count) || count < 1 || !(end > start)) {
    throw new InvalidOptionError(`cannot split ${start}..${end} into ${count} bins`, { option: 'bins' });
  }
  return Array.from({ length: count + 1 }, (_, index) => start + ((end - start) * index) / count);
}

export interface HistogramOptions extends ChartFrameOptions {
  /** One or more distributions drawn side by side within each bin. */
  readonly series: readonly { readonly name: string; readonly values: readonly number[] }[];
  /** Bin edges (strictly increasing). */
  readonly edges: readonly number[];
  /** Plot shares of each series instead of counts (default false). */
  readonly normalize?: boolean;
  /** Where to put x-axis ticks (default: nice round values), e.g. each integer score. */
  readonly xTicks?: readonly number[];
}

/** Returns a standalone SVG histogram of one or more series over shared bins, with a legend. */
export function renderHistogram(options: HistogramOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const heights = options.series.map((series) => {
    const counts = histogramCounts(series.values, options.edges);
    const total = counts.reduce((sum, count) => sum + count, 0);
    return options.normalize ? counts.map((count) => (total > 0 ? count / total : 0)) : counts;
  });
  const tallest = Math.max(0, ...heights.flat());
  const yNice = niceDomain(0, tallest > 0 ? tallest : 1, 5);
  const xNice = niceDomain(options.edges[0]!, options.edges[options.edges.length - 1]!, 8);
  const area = plotArea(width, height, options.series.length > 1 ? legendWidth(options.series.map((series) => series.name)) : 0);
  const x = linearScale([options.edges[0]!, options.edges[options.edges.length - 1]!], [area.left, area.right]);
  const y = linearScale(yNice.domain, [area.bottom, area.top]);
  const ticks = (options.xTicks ?? xNice.ticks).filter((tick) => tick >= options.edges[0]! - 1e-9 && tick <= options.edges[options.edges.length - 1]! + 1e-9);
  const gaps = ticks.slice(1).map((tick, index) => tick - ticks[index]!);
  const tickStep = options.xTicks ? (gaps.length > 0 ? Math.min(...gaps) : 1) : xNice.step;
  const groups = options.series.length || 1;

  const bins = heights.map((seriesHeights, seriesIndex) => {
    const color = seriesColor(seriesIndex);
    const rects = seriesHeights.map((value, bin) => {
      const left = x(options.edges[bin]!);
      const right = x(options.edges[bin + 1]!);
      const slot = (right - left) / groups;
      const barLeft = left + slot * seriesIndex + 0.5;
      const top = y(value);
      const label = `${options.series[seriesIndex]!.name} [${Number(options.edges[bin]!.toFixed(4))}, ${Number(options.edges[bin + 1]!.toFixed(4))}): ${Number(value.toFixed(4))}`;
      return `<rect x="${coordinate(barLeft)}" y="${coordinate(top)}" width="${coordinate(Math.max(1, slot - 1))}" height="${coordinate(area.bottom - top)}" fill="${color}" fill-opacity="0.85"><title>${escapeMarkup(label)}</title></rect>`;
    });
    return `<g class="series" data-name="${escapeMarkup(options.series[seriesIndex]!.name)}">${rects.join('')}</g>`;
  });

  return (
    openChart(options, 'histogram') +
    verticalAxis(area, y, yNice.ticks, yNice.step, options.yLabel ?? (options.normalize ? 'share' : 'count')) +
    horizontalAxis(area, x, ticks, tickStep, options.xLabel) +
    bins.join('') +
    (options.series.length > 1
      ? legend(
          area,
          options.series.map((series, index) => ({ name: series.name, color: seriesColor(index) })),
        )
      : '') +
    '</svg>'
  );
}
