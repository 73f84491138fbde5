import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, resolveBackoff, retryDelay } from './retry-policy';

describe('retry policy', () => {
  it('retries 429 and 5xx only', () => {
    expect([429, 500, 502, 503, 599].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 408, 422].some(isRetryableStatus)).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('grows exponentially, capped, with jitter below the cap', () => {
    const backoff = resolveBackoff({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2, jitter: 0.5 });
    expect(retryDelay(1, backoff, undefined, () => 0)).toBe(100);
    expect(retryDelay(3, backoff, undefined, () => 0)).toBe(400);
    expect(retryDelay(10, backoff, undefined, () => 0)).toBe(1000);
    expect(retryDelay(3, backoff, undefined, () => 0.999)).toBeCloseTo(200.2, 1);
    expect(retryDelay(1, backoff, 3000)).toBe(3000);
  });

  it('rejects invalid backoff settings', () => {
    expect(() => resolveBackoff({ jitter: 2 })).toThrow(/backoff.jitter/);
    expect(() => resolveBackoff({ initialDelayMs: 10, maxDelayMs: 5 })).toThrow(/maxDelayMs/);
  });
});
