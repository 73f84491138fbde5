import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeMarkup, renderBarChart, renderLineChart, renderSteeringCurves } from '@steerlm/evaluators';
import type { DemoResult } from './demo-result';
import type { CorrectnessSample } from './evaluate-demo-model';

const styles =
  'body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}' +
  'table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}' +
  'th{background:#f3f3f3}.met{color:#1a7f37}.missed{color:#cf222e}figure{margin:1em 0}code{font-size:90%}';

function format(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? 'n/a' : Number(value.toFixed(digits)).toString();
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = `<tr>${headers.map((header) => `<th>${escapeMarkup(header)}</th>`).join('')}</tr>`;
  return `<table>${head}${rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** Returns the self-contained HTML page of a demo run: goals, APM error, correctness, steering curves, losses, samples. */
export function renderDemoHtml(result: Omit<DemoResult, 'report'>): string {
  const { claims } = result;
  const goals = table(
    ['goal', 'target', 'measured', 'met'],
    Object.entries(claims.goals).map(([name, goal]) => [
      escapeMarkup(name),
      escapeMarkup(goal.target),
      format(goal.value),
      goal.met ? '<span class="met">yes</span>' : '<span class="missed">no</span>',
    ]),
  );
  const apm = table(
    ['attribute', 'MAE (continuous)', 'MAE (rounded)', 'exact', 'annotator noise MAE'],
    Object.keys(result.apm.meanAbsoluteError).map((name) => [
      escapeMarkup(name),
      format(result.apm.meanAbsoluteError[name]),
      format(result.apm.roundedMeanAbsoluteError[name]),
      format(result.apm.exactRate[name]),
      format(result.apm.annotatorMeanAbsoluteError[name]),
    ]),
  );
  const correctness = renderBarChart({
    title: 'Correct answers (share)',
    yLabel: 'share correct',
    yDomain: [0, 1],
    bars: [
      { label: 'training data', value: claims.correctness.trainingData },
      { label: 'plain SFT', value: claims.correctness.plainSft },
      { label: 'conditioned, quality=4', value: claims.correctness.conditionedAtTopQuality },
      { label: 'bootstrapped, quality=4', value: claims.bootstrap.correctnessAfter },
    ],
  });
  const losses = renderLineChart({
    title: 'Training loss',
    xLabel: 'step',
    yLabel: 'loss (nats per token)',
    series: [
      { name: 'conditioned SFT', points: result.models.conditionedLossCurve.map(({ step, loss }) => ({ x: step, y: loss })) },
      { name: 'plain SFT', points: result.models.plainLossCurve.map(({ step, loss }) => ({ x: step, y: loss })) },
    ],
  });
  const steeringRows = result.steering.attributes.map((entry) => {
    const after = result.steeringAfterBootstrap.attributes.find((other) => other.attribute === entry.attribute);
    return [
      escapeMarkup(entry.attribute),
      format(entry.spearman),
      format(after?.spearman),
      entry.curve.map((point) => `${point.requested}→${format(point.meanMeasured, 2)}`).join(', '),
    ];
  });
  const samples: [string, CorrectnessSample][] = [
    ...result.correctnessSamples.conditioned.slice(0, 6).map((sample): [string, CorrectnessSample] => ['conditioned, quality=4', sample]),
    ...result.correctnessSamples.plain.slice(0, 6).map((sample): [string, CorrectnessSample] => ['plain SFT', sample]),
  ];
  const stages = table(
    ['stage', 'seconds'],
    result.stages.map((stage) => [escapeMarkup(stage.name), format(stage.seconds, 1)]),
  );
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/><title>SteerBench demo (seed ${claims.seed})</title><style>${styles}</style></head><body>` +
    `<h1>SteerBench demo</h1><p>seed ${claims.seed} · backend ${escapeMarkup(claims.backend)} · ${format(claims.wallSeconds, 1)} s · ` +
    `${result.models.parameters} parameters · vocabulary ${result.tokenizer.vocabSize}</p>` +
    `<h2>Goals</h2>${goals}` +
    `<h2>Attribute prediction model</h2><p>Trained on ${result.apm.trainedOn} labelled responses, measured against the truth on the ${result.apm.annotated} it annotated.</p>${apm}` +
    `<h2>Correctness</h2><figure>${correctness}</figure>` +
    `<p>Plain SFT ${format(claims.correctness.plainSft)}, conditioned SFT at quality=4 ${format(claims.correctness.conditionedAtTopQuality)} ` +
    `(gain ${format(claims.correctness.gainPoints, 1)} points), after one bootstrap round ${format(claims.bootstrap.correctnessAfter)}.</p>` +
    `<h2>Steering (ground-truth scorer)</h2>${table(['attribute', 'Spearman', 'Spearman after bootstrap', 'requested→mean measured'], steeringRows)}` +
    renderSteeringCurves(result.steering)
      .map((svg) => `<figure>${svg}</figure>`)
      .join('') +
    `<h3>After the bootstrap round</h3>` +
    renderSteeringCurves(result.steeringAfterBootstrap)
      .map((svg) => `<figure>${svg}</figure>`)
      .join('') +
    `<h2>Training</h2><figure>${losses}</figure>` +
    `<h2>Sample answers</h2>${table(
      ['model', 'question', 'response', 'correct'],
      samples.map(([model, sample]) => [escapeMarkup(model), escapeMarkup(sample.question), escapeMarkup(sample.response), sample.correct ? 'yes' : 'no']),
    )}` +
    `<h2>Stages</h2>${stages}</body></html>\n`
  );
}

/** Writes `steerbench-demo.json` (every number and sample) and `steerbench-demo.html` into `directory`; returns their paths. */
export async function writeDemoReport(result: Omit<DemoResult, 'report'>, directory: string): Promise<{ json: string; html: string }> {
  const json = join(directory, 'steerbench-demo.json');
  const html = join(directory, 'steerbench-demo.html');
  await writeFile(json, `${JSON.stringify(result, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
  await writeFile(html, renderDemoHtml(result));
  return { json, html };
}
