export { SERIES_COLORS, seriesColor, type ChartFrameOptions } from './chart-frame';
export { formatTick, linearScale, niceDomain, niceStep, type LinearScale } from './linear-scale';
export { renderLineChart, type LineChartOptions, type LineSeries } from './line-chart';
export { renderBarChart, type Bar, type BarChartOptions } from './bar-chart';
export { equalWidthEdges, histogramCounts, renderHistogram, type HistogramOptions } from './histogram';
