import cliProgress from 'cli-progress';
import type { ProgressEvent } from '@steerlm/core';
import { formatDuration, formatNumber } from './format-duration';

export interface ProgressDisplayOptions {
  /** Where bars and lines go (stderr). */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  /** Draw redrawing bars (a terminal) or print plain lines (logs, CI); default: the stream's isTTY. */
  readonly interactive?: boolean;
  /** Milliseconds between plain progress lines of one job (default 2000). */
  readonly lineIntervalMs?: number;
}

interface JobState {
  total: number | undefined;
  unit: string;
  bar: cliProgress.SingleBar | undefined;
  lastLineAt: number;
}

function metricsText(metrics: Readonly<Record<string, number>> | undefined): string {
  if (!metrics) return '';
  return Object.entries(metrics)
    .map(([name, value]) => `${name}=${formatNumber(value)}`)
    .join(' ');
}

/**
 * Shows core ProgressEvents: cli-progress bars with rate and ETA on a terminal, throttled plain lines
 * elsewhere. `listener` is the ProgressListener to hand to long jobs.
 */
export class ProgressDisplay {
  readonly #stream: ProgressDisplayOptions['stream'];
  readonly #interactive: boolean;
  readonly #lineIntervalMs: number;
  readonly #jobs = new Map<string, JobState>();
  #multibar: cliProgress.MultiBar | undefined;

  constructor(options: ProgressDisplayOptions) {
    this.#stream = options.stream;
    this.#interactive = options.interactive ?? options.stream.isTTY === true;
    this.#lineIntervalMs = options.lineIntervalMs ?? 2000;
  }

  /** The listener that feeds this display. */
  readonly listener = (event: ProgressEvent): void => {
    switch (event.type) {
      case 'job-start':
        this.#start(event.job, event.total, event.unit ?? 'steps');
        return;
      case 'step-end':
        this.#step(event);
        return;
      case 'evaluation':
        this.#line(`${event.job} step ${event.step}: ${metricsText(event.metrics)}`);
        return;
      case 'checkpoint':
        this.#line(`${event.job} step ${event.step}: checkpoint ${event.path}`);
        return;
      case 'warning':
        this.#line(`${event.job} warning${event.step !== undefined ? ` at step ${event.step}` : ''}: ${event.message}`);
        return;
      case 'job-end':
        this.#end(event.job, event.elapsedMs);
        return;
      default:
        return;
    }
  };

  /** Stops every bar (call before printing results). */
  stop(): void {
    this.#multibar?.update();
    this.#multibar?.stop();
    this.#multibar = undefined;
    this.#jobs.clear();
  }

  #start(job: string, total: number | undefined, unit: string): void {
    const state: JobState = { total, unit, bar: undefined, lastLineAt: 0 };
    if (this.#interactive && total !== undefined) {
      this.#multibar ??= new cliProgress.MultiBar(
        {
          stream: this.#stream as NodeJS.WriteStream,
          format: '{job} |{bar}| {value}/{total} {unit} | {rateText} | ETA {etaText} {metrics}',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          etaBuffer: 20,
        },
        cliProgress.Presets.shades_classic,
      );
      state.bar = this.#multibar.create(total, 0, { job, unit, rateText: '–', etaText: '–', metrics: '' });
    } else {
      this.#line(`${job}: started${total !== undefined ? ` (${formatNumber(total)} ${unit})` : ''}`);
    }
    this.#jobs.set(job, state);
  }

  #step(event: Extract<ProgressEvent, { type: 'step-end' }>): void {
    const state = this.#jobs.get(event.job) ?? { total: event.total, unit: 'steps', bar: undefined, lastLineAt: 0 };
    this.#jobs.set(event.job, state);
    const rateText = event.rate !== undefined ? `${formatNumber(event.rate)} ${state.unit}/s` : '–';
    const etaText = event.etaMs !== undefined ? formatDuration(event.etaMs) : '–';
    if (state.bar) {
      state.bar.update(event.done ?? event.step, { rateText, etaText, metrics: metricsText(event.metrics) });
      return;
    }
    const now = Date.now();
    // Units done, not the step's index: a featurize step is a batch of 64 responses.
    const done = event.done ?? event.step;
    const last = state.total !== undefined && done >= state.total;
    if (!last && now - state.lastLineAt < this.#lineIntervalMs) return;
    state.lastLineAt = now;
    const position = state.total !== undefined ? `${formatNumber(done)}/${formatNumber(state.total)}` : formatNumber(done);
    // A finished job has no time left to estimate: "ETA 0ms" reads as a glitch, so the ETA is left out.
    const eta = event.etaMs === 0 ? '' : ` · ETA ${etaText}`;
    this.#line(`${event.job} ${position} ${state.unit} · ${rateText}${eta} ${metricsText(event.metrics)}`.trimEnd());
  }

  #end(job: string, elapsedMs: number): void {
    this.#jobs.delete(job);
    if (this.#jobs.size === 0 && this.#multibar) {
      // Draw the final state of every bar once, then release the terminal.
      this.#multibar.update();
      this.#multibar.stop();
      this.#multibar = undefined;
    }
    this.#line(`${job}: done in ${formatDuration(elapsedMs)}`);
  }

  #line(text: string): void {
    if (this.#multibar) this.#multibar.log(`${text}\n`);
    else this.#stream.write(`${text}\n`);
  }
}
