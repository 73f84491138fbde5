import { InvalidOptionError } from '@steerlm/core';

/** A fault the server injects into one request instead of (or before) answering it normally. */
export type Fault =
  /** Answer with this HTTP status and an OpenAI-style error body (e.g. 429 with Retry-After, 500). */
  | { readonly kind: 'status'; readonly status: number; readonly retryAfterSeconds?: number; readonly message?: string }
  /** Wait this long before answering normally (past a client's timeout, the client gives up). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Destroy the connection without answering. */
  | { readonly kind: 'drop' };

/** A fault and how many consecutive requests it applies to. */
export interface ScheduledFault {
  readonly fault: Fault;
  readonly times: number;
}

function validateFault(fault: Fault): void {
  if (fault.kind === 'status' && (!Number.isInteger(fault.status) || fault.status < 400 || fault.status > 599)) {
    throw new InvalidOptionError(`a status fault needs an HTTP error status 400..599, got ${String(fault.status)}`, { option: 'faults' });
  }
  if (fault.kind === 'delay' && (!Number.isFinite(fault.ms) || fault.ms < 0)) {
    throw new InvalidOptionError(`a delay fault needs ms >= 0, got ${String(fault.ms)}`, { option: 'faults' });
  }
  if (fault.kind !== 'status' && fault.kind !== 'delay' && fault.kind !== 'drop') {
    throw new InvalidOptionError(`unknown fault kind ${JSON.stringify((fault as { kind: unknown }).kind)}`, {
      option: 'faults',
      hint: 'use status, delay or drop',
    });
  }
}

/** A queue of faults applied to the next requests, in arrival order. */
export class FaultController {
  readonly #queue: { fault: Fault; left: number }[] = [];

  constructor(initial: readonly ScheduledFault[] = []) {
    for (const scheduled of initial) this.add(scheduled.fault, scheduled.times);
  }

  /** Queues `fault` for the next `times` requests (after faults already queued); returns this. */
  add(fault: Fault, times = 1): this {
    validateFault(fault);
    if (!Number.isInteger(times) || times < 1) throw new InvalidOptionError(`times must be an integer >= 1, got ${String(times)}`, { option: 'times' });
    this.#queue.push({ fault, left: times });
    return this;
  }

  /** Queues HTTP `status` errors (429 may carry Retry-After seconds) for the next `times` requests; returns this. */
  failNext(times: number, status: number, retryAfterSeconds?: number): this {
    return this.add({ kind: 'status', status, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) }, times);
  }

  /** Queues a delay of `ms` before answering each of the next `times` requests; returns this. */
  delayNext(times: number, ms: number): this {
    return this.add({ kind: 'delay', ms }, times);
  }

  /** Queues dropped connections for the next `times` requests; returns this. */
  dropNext(times: number): this {
    return this.add({ kind: 'drop' }, times);
  }

  /** Removes every queued fault. */
  clear(): void {
    this.#queue.length = 0;
  }

  /** Returns how many requests still get a fault. */
  get pending(): number {
    return this.#queue.reduce((sum, entry) => sum + entry.left, 0);
  }

  /** Returns the fault for the request that just arrived, or undefined. */
  take(): Fault | undefined {
    const head = this.#queue[0];
    if (!head) return undefined;
    head.left -= 1;
    if (head.left === 0) this.#queue.shift();
    return head.fault;
  }
}
