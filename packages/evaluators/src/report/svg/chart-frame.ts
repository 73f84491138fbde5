import { escapeMarkup } from '../escape-markup';
import { coordinate, formatTick, type LinearScale } from './linear-scale';

/** Size and labels shared by every chart. */
export interface ChartFrameOptions {
  readonly title: string;
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Pixels (default 640 × 360). */
  readonly width?: number;
  readonly height?: number;
}

/** The plotting area inside the margins. */
export interface PlotArea {
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
  readonly width: number;
  readonly height: number;
}

/** A colour-blind-friendly palette (Okabe–Ito) for series. */
export const SERIES_COLORS = Object.freeze(['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000']);

/** Returns the colour of the series at `index`. */
export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}

/** Returns the plot area of a chart of `width` × `height` with room for axes, title and a right-hand legend. */
export function plotArea(width: number, height: number, legendWidth: number): PlotArea {
  const left = 64;
  const right = width - 16 - legendWidth;
  const top = 40;
  const bottom = height - 52;
  return { left, right, top, bottom, width: right - left, height: bottom - top };
}

/** Returns the opening `<svg>` tag, an accessible title and the chart heading. */
export function openChart(options: ChartFrameOptions, kind: string): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const title = escapeMarkup(options.title);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>` +
    `<text x="${coordinate(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="600" fill="#222">${title}</text>`
  );
}

/** Returns a vertical axis with grid lines at `ticks` and its rotated label. */
export function verticalAxis(area: PlotArea, scale: LinearScale, ticks: readonly number[], step: number, label: string | undefined): string {
  const parts = ticks.map((tick) => {
    const y = coordinate(scale(tick));
    return (
      `<line x1="${area.left}" y1="${y}" x2="${area.right}" y2="${y}" stroke="#e4e4e4"/>` +
      `<text x="${area.left - 6}" y="${y}" dy="0.32em" text-anchor="end" font-size="11" fill="#444">${escapeMarkup(formatTick(tick, step))}</text>`
    );
  });
  parts.push(`<line x1="${area.left}" y1="${area.top}" x2="${area.left}" y2="${area.bottom}" stroke="#666"/>`);
  if (label !== undefined) {
    const middle = coordinate((area.top + area.bottom) / 2);
    parts.push(`<text x="16" y="${middle}" transform="rotate(-90 16 ${middle})" text-anchor="middle" font-size="12" fill="#333">${escapeMarkup(label)}</text>`);
  }
  return `<g class="axis y-axis">${parts.join('')}</g>`;
}

/** Returns a horizontal axis with numeric ticks and its label. */
export function horizontalAxis(area: PlotArea, scale: LinearScale, ticks: readonly number[], step: number, label: string | undefined): string {
  const parts = ticks.map((tick) => {
    const x = coordinate(scale(tick));
    return (
      `<line x1="${x}" y1="${area.bottom}" x2="${x}" y2="${area.bottom + 5}" stroke="#666"/>` +
      `<text x="${x}" y="${area.bottom + 18}" text-anchor="middle" font-size="11" fill="#444">${escapeMarkup(formatTick(tick, step))}</text>`
    );
  });
  parts.push(`<line x1="${area.left}" y1="${area.bottom}" x2="${area.right}" y2="${area.bottom}" stroke="#666"/>`);
  parts.push(axisLabel(area, label));
  return `<g class="axis x-axis">${parts.join('')}</g>`;
}

/** Returns a horizontal axis whose ticks are category names centred at `positions`. */
export function categoryAxis(area: PlotArea, categories: readonly string[], positions: readonly number[], label: string | undefined): string {
  const parts = categories.map(
    (category, index) =>
      `<text x="${coordinate(positions[index]!)}" y="${area.bottom + 18}" text-anchor="middle" font-size="11" fill="#444">${escapeMarkup(category)}</text>`,
  );
  parts.push(`<line x1="${area.left}" y1="${area.bottom}" x2="${area.right}" y2="${area.bottom}" stroke="#666"/>`);
  parts.push(axisLabel(area, label));
  return `<g class="axis x-axis">${parts.join('')}</g>`;
}

function axisLabel(area: PlotArea, label: string | undefined): string {
  if (label === undefined) return '';
  return `<text x="${coordinate((area.left + area.right) / 2)}" y="${area.bottom + 40}" text-anchor="middle" font-size="12" fill="#333">${escapeMarkup(label)}</text>`;
}

/** Returns a legend of coloured swatches and names to the right of the plot area. */
export function legend(area: PlotArea, entries: readonly { name: string; color: string; dashed?: boolean }[]): string {
  if (entries.length === 0) return '';
  const rows = entries.map((entry, index) => {
    const y = area.top + 8 + index * 18;
    const swatch = `<line x1="${area.right + 14}" y1="${y}" x2="${area.right + 34}" y2="${y}" stroke="${entry.color}" stroke-width="3"${entry.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
    return `${swatch}<text x="${area.right + 40}" y="${y}" dy="0.32em" font-size="11" fill="#333">${escapeMarkup(entry.name)}</text>`;
  });
  return `<g class="legend">${rows.join('')}</g>`;
}

/** Returns a legend width that fits the longest name (0 without entries). */
export function legendWidth(names: readonly string[]): number {
  if (names.length === 0) return 0;
  return Math.min(220, 48 + Math.max(...names.map((name) => name.length)) * 6.5);
}
