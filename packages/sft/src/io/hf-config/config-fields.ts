import { ModelFormatError } from '@steerlm/core';

/**
 * Reads typed fields out of a parsed JSON config, remembering which keys were consumed so the rest
 * can be kept verbatim (`extra`) and written back. Errors name the file and the field.
 */
export class ConfigFields {
  private readonly consumed = new Set<string>();

  constructor(
    private readonly json: Record<string, unknown>,
    /** The file the JSON came from, for error messages. */
    readonly file: string | undefined,
  ) {}

  /** Returns the raw value of `key` (marking it consumed). */
  raw(key: string): unknown {
    this.consumed.add(key);
    return Object.hasOwn(this.json, key) ? this.json[key] : undefined;
  }

  /** Returns a ModelFormatError about `key`, located at this file. */
  error(key: string, message: string, hint?: string): ModelFormatError {
    return new ModelFormatError(message, { file: this.file, field: key, ...(hint !== undefined ? { hint } : {}) });
  }

  private absent(key: string): ModelFormatError {
    return this.error(key, `missing required field "${key}"`, 'the config.json is incomplete; copy it from the model repository');
  }

  /** Returns `key` as a positive integer; `fallback` when absent (required when no fallback). */
  positiveInteger(key: string, fallback?: number): number {
    return this.positive(key, fallback, Number.isSafeInteger, 'a positive integer');
  }

  /** Returns `key` as a positive finite number; `fallback` when absent (required when no fallback). */
  positiveNumber(key: string, fallback?: number): number {
    return this.positive(key, fallback, Number.isFinite, 'a positive number');
  }

  /** Returns `key` as a number > 0 that passes `accept` (else an error saying it must be `what`); `fallback` when absent. */
  private positive(key: string, fallback: number | undefined, accept: (value: number) => boolean, what: string): number {
    const value = this.raw(key);
    if (value === undefined || value === null) {
      if (fallback === undefined) throw this.absent(key);
      return fallback;
    }
    if (typeof value !== 'number' || !accept(value) || value <= 0) throw this.error(key, `"${key}" must be ${what}, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Returns `key` as a boolean, `fallback` when absent. */
  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'boolean') throw this.error(key, `"${key}" must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Returns `key` as a string, `fallback` when absent. */
  string(key: string, fallback: string): string {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string') throw this.error(key, `"${key}" must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  /** Returns `key` as a string, or null when absent. */
  optionalString(key: string): string | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    return this.string(key, '');
  }

  /** Returns `key` as a token id (non-negative integer) or a list of them, or null when absent. */
  tokenIds(key: string): number | number[] | null {
    const value = this.raw(key);
    if (value === undefined || value === null) return null;
    const isId = (entry: unknown): entry is number => typeof entry === 'number' && Number.isSafeInteger(entry) && entry >= 0;
    if (isId(value)) return value;
    if (Array.isArray(value) && value.length > 0 && value.every(isId)) return [...value];
    throw this.error(key, `"${key}" must be a token id or a non-empty list of token ids, got ${JSON.stringify(value)}`);
  }

  /** Returns every key not consumed so far, with its value (kept for writing the config back). */
  rest(): Record<string, unknown> {
    const extra: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.json)) {
      if (!this.consumed.has(key)) Object.defineProperty(extra, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return extra;
  }
}

/** The fields every family's config.json may carry besides its architecture: special token ids and the stored dtype. */
export interface SharedConfigFields {
  bosTokenId: number | number[] | null;
  eosTokenId: number | number[] | null;
  padTokenId: number | number[] | null;
  torchDtype: string | null;
}

/** Returns the shared fields read from `fields` (bos/eos/pad_token_id, torch_dtype). */
export function readSharedConfigFields(fields: ConfigFields): SharedConfigFields {
  return {
    bosTokenId: fields.tokenIds('bos_token_id'),
    eosTokenId: fields.tokenIds('eos_token_id'),
    padTokenId: fields.tokenIds('pad_token_id'),
    torchDtype: fields.optionalString('torch_dtype'),
  };
}

/** Returns the shared fields under their config.json names (absent ones undefined, so mergeForWriting leaves them out). */
export function sharedConfigFieldsToJson(config: SharedConfigFields): Record<string, unknown> {
  return {
    bos_token_id: config.bosTokenId ?? undefined,
    eos_token_id: config.eosTokenId ?? undefined,
    pad_token_id: config.padTokenId ?? undefined,
    torch_dtype: config.torchDtype ?? undefined,
  };
}

/** Returns `value` as a JSON object, or throws a ModelFormatError naming `what` and `file`. */
export function expectJsonObject(value: unknown, what: string, file: string | undefined): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelFormatError(`${what} must be a JSON object`, { file });
  }
  return value as Record<string, unknown>;
}

/** Returns a JSON object holding the `known` fields (undefined ones left out), then the `extra` ones not already set. */
export function mergeForWriting(known: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown): void => {
    if (value !== undefined) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [key, value] of Object.entries(known)) put(key, value);
  for (const [key, value] of Object.entries(extra)) if (!Object.hasOwn(out, key)) put(key, value);
  return out;
}
