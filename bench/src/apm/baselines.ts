import { fitLeastSquaresLine } from '@steerlm/core';
import type { OasstAssistantItem } from './oasst-messages';
import { continuousTargets } from './bench-schema';

/** Returns log(1 + characters) of an item's response: the length baseline's only input. */
export function logResponseLength(item: OasstAssistantItem): number {
  return Math.log1p(item.input.response.length);
}

/** Returns the least-squares line y ≈ meanY + slope · (x − meanX) of y on x (slope 0 when x is constant). */
export function fitLine(x: readonly number[], y: readonly number[]): { meanX: number; meanY: number; slope: number; predict(value: number): number } {
  const { meanX, meanY, slope } = fitLeastSquaresLine(x, y);
  return { meanX, meanY, slope, predict: (value) => meanY + slope * (value - meanX) };
}

/**
 * Returns, for one attribute, the training-mean baseline and a least-squares line on log response length
 * fitted on the training items, as predictors of the test items (continuous, on 0..4).
 */
export function baselinePredictions(
  attribute: string,
  train: readonly OasstAssistantItem[],
  test: readonly OasstAssistantItem[],
): { mean: number[]; length: number[] } {
  const rows = train.filter((item) => continuousTargets(item.labels)[attribute] !== undefined);
  const x = rows.map(logResponseLength);
  const y = rows.map((item) => continuousTargets(item.labels)[attribute]!);
  const line = fitLine(x, y);
  return { mean: test.map(() => line.meanY), length: test.map((item) => line.predict(logResponseLength(item))) };
}
