import { describe, expect, it } from 'vitest';
import { findElements, parseMarkup, textContent } from '../testing/well-formed-markup';
import { equalWidthEdges, formatTick, histogramCounts, linearScale, niceDomain, renderBarChart, renderHistogram, renderLineChart } from './index';

describe('scales and ticks', () => {
  it('maps linearly and picks nice ticks', () => {
    const scale = linearScale([0, 10], [100, 200]);
    expect(scale(5)).toBe(150);
    expect(niceDomain(0.3, 3.7, 5)).toEqual({ domain: [0, 4], ticks: [0, 1, 2, 3, 4], step: 1 });
    expect(niceDomain(940, 1063, 5).ticks).toEqual([900, 950, 1000, 1050, 1100]);
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(niceDomain(2, 2).domain[0]).toBeLessThan(2);
  });
});

describe('histogram counts', () => {
  it('bins half-open intervals, closing the last one, and ignores values outside', () => {
    const edges = equalWidthEdges(0.5, 10.5, 10);
    expect(edges).toHaveLength(11);
    expect(histogramCounts([1, 1, 2, 10, 10.5, 11, 0, Number.NaN], edges)).toEqual([2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(histogramCounts([0, 1, 2], [0, 1, 2])).toEqual([1, 2]);
    expect(() => histogramCounts([1], [1, 1])).toThrow(/strictly increasing/);
  });
});

describe('SVG charts', () => {
  it('draws a line chart with several series, a break at missing points, axes and a legend', () => {
    const svg = renderLineChart({
      title: 'Curves <&>',
      xLabel: 'requested',
      yLabel: 'measured',
      series: [
        {
          name: 'humor',
          points: [
            { x: 0, y: 0.1 },
            { x: 1, y: Number.NaN },
            { x: 2, y: 1.8 },
            { x: 3, y: 2.9 },
          ],
        },
        {
          name: 'ideal',
          dashed: true,
          points: [
            { x: 0, y: 0 },
            { x: 3, y: 3 },
          ],
        },
      ],
    });
    const tree = parseMarkup(svg);
    const [root] = findElements(tree, 'svg');
    expect(root!.attributes.xmlns).toBe('http://www.w3.org/2000/svg');
    expect(textContent(findElements(root!, 'title')[0]!)).toBe('Curves <&>');
    // The NaN point splits humor into a lone point (no line) and a two-point segment; the ideal line is dashed.
    const polylines = findElements(root!, 'polyline');
    expect(polylines).toHaveLength(2);
    expect(polylines[1]!.attributes['stroke-dasharray']).toBe('6 4');
    expect(findElements(root!, 'circle')).toHaveLength(3);
    const legendTexts = findElements(
      findElements(root!, 'g').find((group) => group.attributes.class === 'legend')!,
      'text',
    ).map(textContent);
    expect(legendTexts).toEqual(['humor', 'ideal']);
  });

  it('draws bars with error bars, not anchored at zero when asked', () => {
    const svg = renderBarChart({
      title: 'Elo',
      includeZero: false,
      bars: [
        { label: 'a', value: 1040, lower: 1020, upper: 1060 },
        { label: 'b', value: 960, lower: 940, upper: 985 },
      ],
    });
    const root = findElements(parseMarkup(svg), 'svg')[0]!;
    const bars = findElements(root, 'g').filter((group) => group.attributes.class === 'bar');
    expect(bars).toHaveLength(2);
    for (const bar of bars) expect(findElements(bar, 'line')).toHaveLength(3);
    const heights = bars.map((bar) => Number(findElements(bar, 'rect')[0]!.attributes.height));
    expect(heights[0]).toBeGreaterThan(heights[1]!);
    expect(heights[1]).toBeGreaterThan(0);
  });

  it('draws a grouped histogram with one rect per series and bin', () => {
    const svg = renderHistogram({
      title: 'Scores',
      edges: equalWidthEdges(0.5, 10.5, 10),
      series: [
        { name: 'model "a"', values: [1, 2, 2, 9] },
        { name: 'b', values: [5, 5] },
      ],
    });
    const root = findElements(parseMarkup(svg), 'svg')[0]!;
    const series = findElements(root, 'g').filter((group) => group.attributes.class === 'series');
    expect(series.map((group) => group.attributes['data-name'])).toEqual(['model "a"', 'b']);
    expect(findElements(series[0]!, 'rect')).toHaveLength(10);
  });
});
