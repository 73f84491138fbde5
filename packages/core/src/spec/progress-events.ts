/** The typed progress events of long jobs (training, annotation, bootstrap, evaluation). */
export type ProgressEvent =
  | { type: 'job-start'; job: string; total?: number; unit?: string; detail?: Readonly<Record<string, unknown>> }
  | { type: 'step-start'; job: string; step: number; total?: number }
  | {
      type: 'step-end';
      job: string;
      step: number;
      total?: number;
      /** Units done so far (what `total` counts; a step may do several, e.g. a batch of responses). */
      done?: number;
      /** Numbers of this step, e.g. loss, learning rate, tokens per second. */
      metrics?: Readonly<Record<string, number>>;
      /** Units done per second since the job started. */
      rate?: number;
      /** Estimated milliseconds left, when the total is known. */
      etaMs?: number;
      elapsedMs: number;
    }
  | { type: 'evaluation'; job: string; step: number; metrics: Readonly<Record<string, number>> }
  | { type: 'checkpoint'; job: string; step: number; path: string }
  | { type: 'warning'; job: string; message: string; step?: number }
  | { type: 'job-end'; job: string; elapsedMs: number; summary?: Readonly<Record<string, unknown>> };

export type ProgressEventType = ProgressEvent['type'];

/** Receives progress events. */
export type ProgressListener = (event: ProgressEvent) => void;
