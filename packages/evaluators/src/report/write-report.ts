import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EvaluationReport } from './evaluation-report';
import { reportToJson } from './evaluation-report';
import { renderHtmlReport } from './html-report';

/** Writes `<name>.json` and `<name>.html` into `directory` (created if missing); returns both paths. */
export async function writeEvaluationReport(
  report: EvaluationReport,
  directory: string,
  name = 'evaluation-report',
): Promise<{ jsonPath: string; htmlPath: string }> {
  await mkdir(directory, { recursive: true });
  const jsonPath = join(directory, `${name}.json`);
  const htmlPath = join(directory, `${name}.html`);
  await writeFile(jsonPath, reportToJson(report), 'utf8');
  await writeFile(htmlPath, renderHtmlReport(report), 'utf8');
  return { jsonPath, htmlPath };
}
