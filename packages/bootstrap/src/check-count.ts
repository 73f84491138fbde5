import { InvalidOptionError } from '@steerlm/core';

/** Throws an InvalidOptionError unless `value` is an integer >= `minimum`. */
export function checkCount(name: string, value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum)
    throw new InvalidOptionError(`${name} must be an integer >= ${minimum}, got ${String(value)}`, { option: name });
}
