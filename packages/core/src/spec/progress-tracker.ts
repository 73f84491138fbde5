import type { ProgressEvent, ProgressListener } from './progress-events';

type StepMetrics = Readonly<Record<string, number>>;

/** Emits job-start / step-end / job-end events with elapsed time, rate and ETA for one job. */
export class ProgressTracker {
  readonly job: string;
  readonly total: number | undefined;
  #listeners: ProgressListener[];
  #startedAt = 0;
  #done = 0;
  #now: () => number;

  constructor(
    job: string,
    options: {
      total?: number;
      unit?: string;
      detail?: Readonly<Record<string, unknown>>;
      listeners?: readonly (ProgressListener | undefined)[];
      now?: () => number;
    } = {},
  ) {
    this.job = job;
    this.total = options.total;
    this.#listeners = (options.listeners ?? []).filter((listener): listener is ProgressListener => listener !== undefined);
    this.#now = options.now ?? (() => performance.now());
    this.#startedAt = this.#now();
    this.emit({
      type: 'job-start',
      job,
      ...(options.total !== undefined ? { total: options.total } : {}),
      ...(options.unit ? { unit: options.unit } : {}),
      ...(options.detail ? { detail: options.detail } : {}),
    });
  }

  /** Sends an event to every listener; a throwing listener never stops the job. */
  emit(event: ProgressEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure must not break the job it observes.
      }
    }
  }

  /** Records `units` more done as step `step` and emits step-end with rate and ETA; returns the event. */
  step(step: number, units = 1, metrics?: StepMetrics): ProgressEvent {
    this.#done += units;
    const elapsedMs = this.#now() - this.#startedAt;
    const rate = elapsedMs > 0 ? (this.#done * 1000) / elapsedMs : undefined;
    const etaMs = this.total !== undefined && rate ? Math.max(0, ((this.total - this.#done) / rate) * 1000) : undefined;
    const event: ProgressEvent = {
      type: 'step-end',
      job: this.job,
      step,
      done: this.#done,
      elapsedMs,
      ...(this.total !== undefined ? { total: this.total } : {}),
      ...(metrics ? { metrics } : {}),
      ...(rate !== undefined ? { rate } : {}),
      ...(etaMs !== undefined ? { etaMs } : {}),
    };
    this.emit(event);
    return event;
  }

  /** Emits job-end with the elapsed time and an optional summary. */
  end(summary?: Readonly<Record<string, unknown>>): void {
    this.emit({ type: 'job-end', job: this.job, elapsedMs: this.#now() - this.#startedAt, ...(summary ? { summary } : {}) });
  }
}
