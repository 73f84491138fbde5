/** Returns a self-contained SVG line chart of training (and validation) loss against step. */
export function lossCurveSvg(
  series: { name: string; color: string; points: readonly [number, number][] }[],
  options: { title?: string; width?: number; height?: number } = {},
): string {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const margin = { left: 56, right: 16, top: 32, bottom: 40 };
  const all = series.flatMap((entry) => entry.points).filter(([, y]) => Number.isFinite(y));
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="20" y="40">no data</text></svg>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [yMin, yMax] = [Math.min(0, ...ys), Math.max(...ys) * 1.05 || 1];
  const px = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * (width - margin.left - margin.right);
  const py = (y: number) => height - margin.bottom - ((y - yMin) / (yMax - yMin)) * (height - margin.top - margin.bottom);
  const ticks = (low: number, high: number) => Array.from({ length: 5 }, (_, i) => low + ((high - low) * i) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escape(options.title ?? 'loss')}</text>`,
    `<line x1="${margin.left}" y1="${height - margin.bottom}" x2="${width - margin.right}" y2="${height - margin.bottom}" stroke="#333"/>`,
    `<line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${height - margin.bottom}" stroke="#333"/>`,
    ...ticks(xMin, xMax).map((x) => `<text x="${px(x)}" y="${height - margin.bottom + 16}" text-anchor="middle">${Math.round(x)}</text>`),
    ...ticks(yMin, yMax).map(
      (y) =>
        `<text x="${margin.left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(2)}</text><line x1="${margin.left}" y1="${py(y)}" x2="${width - margin.right}" y2="${py(y)}" stroke="#eee"/>`,
    ),
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle">step</text>`,
  ];
  series.forEach((entry, index) => {
    const points = entry.points.filter(([, y]) => Number.isFinite(y));
    if (points.length > 0)
      parts.push(
        `<polyline fill="none" stroke="${entry.color}" stroke-width="1.5" points="${points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`,
      );
    parts.push(
      `<rect x="${width - margin.right - 120}" y="${margin.top + index * 16}" width="10" height="10" fill="${entry.color}"/><text x="${width - margin.right - 104}" y="${margin.top + index * 16 + 9}">${escape(entry.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
