/** Where generated text ends under stop strings. */
export interface StopCut {
  /** True when a stop string occurred; `text` then ends before the earliest one. */
  readonly stopped: boolean;
  /** The text before the earliest stop string, or all of it. */
  readonly text: string;
}

/** Returns `text` cut before the earliest stop string; empty stop strings never match. */
export function cutAtStop(text: string, stops: readonly string[]): StopCut {
  let earliest = -1;
  for (const stop of stops) {
    if (stop === '') continue;
    const at = text.indexOf(stop);
    if (at !== -1 && (earliest === -1 || at < earliest)) earliest = at;
  }
  return earliest === -1 ? { stopped: false, text } : { stopped: true, text: text.slice(0, earliest) };
}

/**
 * Returns where streamed text ends under stop strings: cut before the earliest one when it occurred,
 * else holding back the longest tail that may still grow into one (so a stream never emits text
 * that a later token turns into part of a stop string). Empty stop strings never match.
 */
export function checkStopStrings(generated: string, stops: readonly string[]): StopCut {
  const cut = cutAtStop(generated, stops);
  if (cut.stopped) return cut;
  let holdBack = 0;
  for (const stop of stops) {
    for (let length = Math.min(stop.length - 1, generated.length); length > holdBack; length--) {
      if (generated.endsWith(stop.slice(0, length))) {
        holdBack = length;
        break;
      }
    }
  }
  return { stopped: false, text: generated.slice(0, generated.length - holdBack) };
}
