import { formatNumber } from './format-duration';

function cell(value: unknown): string {
  if (value === undefined || value === null) return '–';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/**
 * Returns rows as an aligned plain-text table (header, rule, rows; numbers right-aligned), taking the
 * columns from `columns` or from the keys of the rows in order of first appearance.
 */
export function formatTable(rows: readonly Readonly<Record<string, unknown>>[], columns?: readonly string[]): string {
  const names = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (names.length === 0) return '';
  const cells = rows.map((row) => names.map((name) => cell(row[name])));
  const numeric = names.map(
    (name) => rows.some((row) => typeof row[name] === 'number') && rows.every((row) => typeof row[name] === 'number' || row[name] == null),
  );
  const widths = names.map((name, column) => Math.max(name.length, ...cells.map((line) => line[column]!.length)));
  const render = (line: readonly string[]): string =>
    line
      .map((text, column) => (numeric[column] ? text.padStart(widths[column]!) : text.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [render(names), widths.map((width) => '─'.repeat(width)).join('  '), ...cells.map(render)].join('\n') + '\n';
}
