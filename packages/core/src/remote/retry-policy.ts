import { InvalidOptionError } from '../errors';

/** How long to wait between attempts: exponential backoff with jitter. */
export interface BackoffOptions {
  /** The wait before the first retry (default 500 ms). */
  initialDelayMs?: number;
  /** The longest computed wait (default 20 s); a server's Retry-After is honoured even when longer. */
  maxDelayMs?: number;
  /** The growth per retry (default 2). */
  multiplier?: number;
  /** The fraction of each wait drawn at random, 0..1 (default 0.5: waits of 50–100 % of the delay). */
  jitter?: number;
}

/** A validated backoff with every default filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/** Returns `options` with defaults, throwing an InvalidOptionError for out-of-range values. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const resolved: ResolvedBackoff = { initialDelayMs: 500, maxDelayMs: 20_000, multiplier: 2, jitter: 0.5, ...options };
  const check = (name: keyof ResolvedBackoff, ok: boolean, rule: string) => {
    if (!ok) throw new InvalidOptionError(`backoff.${name} must be ${rule}, got ${String(resolved[name])}`, { option: `backoff.${name}` });
  };
  check('initialDelayMs', Number.isFinite(resolved.initialDelayMs) && resolved.initialDelayMs >= 0, 'a number >= 0');
  check('maxDelayMs', Number.isFinite(resolved.maxDelayMs) && resolved.maxDelayMs >= resolved.initialDelayMs, 'a number >= initialDelayMs');
  check('multiplier', Number.isFinite(resolved.multiplier) && resolved.multiplier >= 1, 'a number >= 1');
  check('jitter', Number.isFinite(resolved.jitter) && resolved.jitter >= 0 && resolved.jitter <= 1, 'in [0, 1]');
  return resolved;
}

/** Returns whether an HTTP status is worth retrying: 429 and every 5xx (other 4xx are the request's fault). */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Returns the wait a Retry-After header asks for in milliseconds (seconds or an HTTP date), or undefined. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Returns the wait before retry number `retry` (1-based): the server's Retry-After if given, else jittered backoff. */
export function retryDelay(retry: number, backoff: ResolvedBackoff, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * backoff.multiplier ** (retry - 1));
  return base * (1 - backoff.jitter * random());
}
