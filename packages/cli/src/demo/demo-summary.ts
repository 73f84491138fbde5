import type { DemoResult } from './demo-result';

function percent(share: number): string {
  return `${(100 * share).toFixed(1)}%`;
}

function rho(value: number | null | undefined): string {
  return value === null || value === undefined ? 'n/a' : value.toFixed(3);
}

/** Returns the demo's terminal summary: goals, APM error, correctness, steering curves and the bootstrap's effect. */
export function formatDemoSummary(result: Pick<DemoResult, 'claims' | 'report'>): string {
  const { claims } = result;
  const lines = [
    `SteerBench demo · seed ${claims.seed} · backend ${claims.backend} · ${claims.wallSeconds.toFixed(1)} s`,
    '',
    `APM (trained on ${claims.apm.trainedOn} labelled, measured on ${claims.apm.annotated} annotated): MAE vs truth ` +
      Object.entries(claims.apm.meanAbsoluteError)
        .map(([name, value]) => `${name} ${value.toFixed(2)}`)
        .join(', '),
    `Correct answers: training data ${percent(claims.correctness.trainingData)} · plain SFT ${percent(claims.correctness.plainSft)} · ` +
      `conditioned SFT at quality=4 ${percent(claims.correctness.conditionedAtTopQuality)} (${claims.correctness.gainPoints >= 0 ? '+' : ''}${claims.correctness.gainPoints.toFixed(1)} points)`,
    'Steering (requested → mean measured by the ground-truth scorer):',
    ...Object.entries(claims.steering).map(
      ([name, claim]) =>
        `  ${name.padEnd(9)} ρ=${rho(claim.spearman)}  ${claim.requested.map((value, index) => `${value}→${claim.curve[index]!.toFixed(2)}`).join('  ')}`,
    ),
    `Bootstrap (${claims.bootstrap.samples} samples): correct at quality=4 ${percent(claims.bootstrap.correctnessBefore)} → ${percent(claims.bootstrap.correctnessAfter)}; ` +
      `ρ after: ${Object.entries(claims.bootstrap.steeringAfter)
        .map(([name, claim]) => `${name} ${rho(claim.spearman)}`)
        .join(', ')}`,
    'Goals:',
    ...Object.entries(claims.goals).map(
      ([name, goal]) => `  ${goal.met ? 'met   ' : 'MISSED'} ${name} ${goal.target} (measured ${goal.value === null ? 'n/a' : Number(goal.value.toFixed(3))})`,
    ),
    `Report: ${result.report.html}`,
  ];
  return `${lines.join('\n')}\n`;
}
