/** What a stop-string check found in the text generated so far. */
export interface StopCheck {
  /** True when a stop string occurred; `text` then ends before it. */
  readonly stopped: boolean;
  /** The text that is final: everything when stopped, else what can no longer become part of a stop string. */
  readonly text: string;
}

/** Returns where generated text ends under stop strings, holding back a tail that may still start one. */
export function checkStopStrings(generated: string, stops: readonly string[]): StopCheck {
  let earliest = -1;
  for (const stop of stops) {
    if (stop === '') continue;
    const at = generated.indexOf(stop);
    if (at !== -1 && (earliest === -1 || at < earliest)) earliest = at;
  }
  if (earliest !== -1) return { stopped: true, text: generated.slice(0, earliest) };
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
