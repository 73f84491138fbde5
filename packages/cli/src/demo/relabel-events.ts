import type { ProgressEvent, ProgressListener } from '@steerlm/core';

/** Returns a listener that forwards events to `listener` with their job renamed to `job` (e.g. `sft` → `sft:plain`). */
export function relabelEvents(listener: ProgressListener | undefined, job: string): ProgressListener | undefined {
  if (!listener) return undefined;
  return (event: ProgressEvent) => listener({ ...event, job });
}
