import { escapeMarkup } from '../escape-markup';
import { categoryAxis, openChart, plotArea, seriesColor, verticalAxis, type ChartFrameOptions } from './chart-frame';
import { coordinate, linearScale, niceDomain } from './linear-scale';

/** One bar with an optional error interval [lower, upper]. */
export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly lower?: number;
  readonly upper?: number;
  readonly color?: string;
}

export interface BarChartOptions extends ChartFrameOptions {
  readonly bars: readonly Bar[];
  /** The value axis range; bars rise from its lower end (default: from 0, or from below the data when `includeZero` is false). */
  readonly yDomain?: readonly [number, number];
  /** Whether the value axis must include 0 (default true; false suits Elo ratings near 1000). */
  readonly includeZero?: boolean;
}

/** Returns a standalone SVG bar chart with error bars (whiskers from `lower` to `upper`). */
export function renderBarChart(options: BarChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const values = options.bars.flatMap((bar) => [bar.value, bar.lower ?? bar.value, bar.upper ?? bar.value]).filter((value) => Number.isFinite(value));
  const includeZero = options.includeZero ?? true;
  let low = values.length > 0 ? Math.min(...values) : 0;
  let high = values.length > 0 ? Math.max(...values) : 1;
  if (includeZero) {
    low = Math.min(0, low);
    high = Math.max(0, high);
  } else {
    const pad = (high - low || Math.abs(high) || 1) * 0.1;
    low -= pad;
    high += pad;
  }
  const nice = niceDomain(options.yDomain?.[0] ?? low, options.yDomain?.[1] ?? high, 5);
  const area = plotArea(width, height, 0);
  const y = linearScale(nice.domain, [area.bottom, area.top]);
  const slot = area.width / Math.max(1, options.bars.length);
  const barWidth = Math.max(2, Math.min(64, slot * 0.6));
  const base = y(Math.max(nice.domain[0], Math.min(nice.domain[1], includeZero ? 0 : nice.domain[0])));
  const centers = options.bars.map((_, index) => area.left + slot * (index + 0.5));

  const bars = options.bars.map((bar, index) => {
    const color = bar.color ?? seriesColor(0);
    const center = centers[index]!;
    const top = Number.isFinite(bar.value) ? y(bar.value) : base;
    const rect = `<rect x="${coordinate(center - barWidth / 2)}" y="${coordinate(Math.min(top, base))}" width="${coordinate(barWidth)}" height="${coordinate(Math.abs(base - top))}" fill="${color}"><title>${escapeMarkup(`${bar.label}: ${Number(bar.value.toFixed(4))}`)}</title></rect>`;
    let whisker = '';
    if (bar.lower !== undefined && bar.upper !== undefined && Number.isFinite(bar.lower) && Number.isFinite(bar.upper)) {
      const lowY = coordinate(y(bar.lower));
      const highY = coordinate(y(bar.upper));
      const cap = barWidth / 4;
      whisker =
        `<g class="error-bar"><line x1="${coordinate(center)}" y1="${lowY}" x2="${coordinate(center)}" y2="${highY}" stroke="#222" stroke-width="1.5"/>` +
        `<line x1="${coordinate(center - cap)}" y1="${lowY}" x2="${coordinate(center + cap)}" y2="${lowY}" stroke="#222" stroke-width="1.5"/>` +
        `<line x1="${coordinate(center - cap)}" y1="${highY}" x2="${coordinate(center + cap)}" y2="${highY}" stroke="#222" stroke-width="1.5"/></g>`;
    }
    return `<g class="bar">${rect}${whisker}</g>`;
  });

  return (
    openChart(options, 'bar-chart') +
    verticalAxis(area, y, nice.ticks, nice.step, options.yLabel) +
    categoryAxis(
      area,
      options.bars.map((bar) => bar.label),
      centers,
      options.xLabel,
    ) +
    bars.join('') +
    '</svg>'
  );
}
