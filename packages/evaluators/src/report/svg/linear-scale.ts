/** Maps a numeric domain onto a pixel range linearly. */
export interface LinearScale {
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
  /** Returns the pixel position of `value`. */
  (value: number): number;
}

/** Returns a scale mapping `domain` onto `range` (a zero-width domain is widened by 1 each way). */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [low, high] = domain[0] === domain[1] ? [domain[0] - 1, domain[1] + 1] : domain;
  const scale = ((value: number) => range[0] + ((value - low) / (high - low)) * (range[1] - range[0])) as LinearScale;
  Object.assign(scale, { domain: [low, high] as const, range });
  return scale;
}

/** Returns a "nice" step (1, 2 or 5 × 10^n) splitting `span` into about `count` intervals. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const factor = normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10;
  return factor * magnitude;
}

/** Returns the domain widened outward to multiples of a nice step, and the ticks across it. */
export function niceDomain(minimum: number, maximum: number, count = 5): { domain: [number, number]; ticks: number[]; step: number } {
  let low = Number.isFinite(minimum) ? minimum : 0;
  let high = Number.isFinite(maximum) ? maximum : 1;
  if (low === high) {
    low -= 1;
    high += 1;
  }
  const step = niceStep(high - low, count);
  const start = Math.floor(low / step + 1e-9) * step;
  const end = Math.ceil(high / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let tick = start; tick <= end + step * 1e-6; tick += step) ticks.push(Number(tick.toFixed(10)));
  return { domain: [start, end], ticks, step };
}

/** Returns a tick label with as many decimals as `step` needs (no trailing float noise). */
export function formatTick(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step) - 1e-9));
  return (Math.abs(value) < step * 1e-6 ? 0 : value).toFixed(decimals);
}

/** Returns `value` rounded to 2 decimals as SVG coordinate text. */
export function coordinate(value: number): string {
  return String(Math.round(value * 100) / 100);
}
