import { escapeMarkup } from '../escape-markup';
import { horizontalAxis, legend, legendWidth, openChart, plotArea, seriesColor, verticalAxis, type ChartFrameOptions } from './chart-frame';
import { coordinate, linearScale, niceDomain } from './linear-scale';

/** One line of a line chart; points with a non-finite y are skipped (the line breaks there). */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
  /** Draws the line dashed without markers (e.g. an ideal y = x reference). */
  readonly dashed?: boolean;
  readonly color?: string;
}

export interface LineChartOptions extends ChartFrameOptions {
  readonly series: readonly LineSeries[];
  /** Fixed axis ranges (default: the data's, widened to nice ticks). */
  readonly xDomain?: readonly [number, number];
  readonly yDomain?: readonly [number, number];
}

function finite(values: number[]): number[] {
  return values.filter((value) => Number.isFinite(value));
}

/** Returns a standalone SVG line chart with several series, axes, grid lines and a legend. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const allX = finite(options.series.flatMap((series) => series.points.map((point) => point.x)));
  const allY = finite(options.series.flatMap((series) => series.points.map((point) => point.y)));
  const xNice = niceDomain(options.xDomain?.[0] ?? Math.min(...allX), options.xDomain?.[1] ?? Math.max(...allX), 6);
  const yNice = niceDomain(options.yDomain?.[0] ?? Math.min(...allY), options.yDomain?.[1] ?? Math.max(...allY), 5);
  const area = plotArea(width, height, legendWidth(options.series.map((series) => series.name)));
  const x = linearScale(xNice.domain, [area.left, area.right]);
  const y = linearScale(yNice.domain, [area.bottom, area.top]);

  const lines = options.series.map((series, index) => {
    const color = series.color ?? seriesColor(index);
    const segments: string[][] = [[]];
    const markers: string[] = [];
    for (const point of series.points) {
      if (!Number.isFinite(point.x) || !Number.isFinite(point.y)) {
        segments.push([]);
        continue;
      }
      segments[segments.length - 1]!.push(`${coordinate(x(point.x))},${coordinate(y(point.y))}`);
      if (!series.dashed) {
        markers.push(
          `<circle cx="${coordinate(x(point.x))}" cy="${coordinate(y(point.y))}" r="3.5" fill="${color}"><title>${escapeMarkup(`${series.name}: (${point.x}, ${Number(point.y.toFixed(4))})`)}</title></circle>`,
        );
      }
    }
    const paths = segments
      .filter((segment) => segment.length > 1)
      .map(
        (segment) =>
          `<polyline points="${segment.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    return `<g class="series" data-name="${escapeMarkup(series.name)}">${paths.join('')}${markers.join('')}</g>`;
  });

  return (
    openChart(options, 'line-chart') +
    verticalAxis(area, y, yNice.ticks, yNice.step, options.yLabel) +
    horizontalAxis(area, x, xNice.ticks, xNice.step, options.xLabel) +
    lines.join('') +
    legend(
      area,
      options.series.map((series, index) => ({ name: series.name, color: series.color ?? seriesColor(index), dashed: series.dashed ?? false })),
    ) +
    '</svg>'
  );
}
