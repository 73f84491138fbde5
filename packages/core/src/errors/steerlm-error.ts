const marker = Symbol.for('steerlm.error');

/** Where in an input a problem was found: a file, a line (1-based), a field path. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  field?: string;
}

export interface SteerLMErrorOptions extends ErrorLocation {
  /** What the user can do about it, appended to the message. */
  hint?: string;
  cause?: unknown;
}

function describeLocation(location: ErrorLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) parts.push(location.line !== undefined ? `${location.file}:${location.line}` : location.file);
  else if (location.line !== undefined) parts.push(`line ${location.line}`);
  if (location.field !== undefined) parts.push(`field "${location.field}"`);
  return parts.join(', ');
}

/**
 * The base of every error the @steerlm packages throw. Tagged with `Symbol.for('steerlm.error')`
 * so `SteerLMError.isInstance` works across duplicated module copies (bundles, two installs).
 */
export class SteerLMError extends Error {
  private readonly [marker] = true;
  /** A stable machine-readable name, e.g. `steerlm.attribute`. */
  readonly code: string;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: SteerLMErrorOptions = {}) {
    const where = describeLocation(options);
    const full = `${where ? `${where}: ` : ''}${message}${options.hint ? ` (${options.hint})` : ''}`;
    super(full, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'SteerLMError';
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.field = options.field;
    this.hint = options.hint;
  }

  /** The code shared by every instance of a subclass; the base class has none. */
  static readonly code: string | undefined = undefined;

  /**
   * True when `error` is a SteerLMError (called on the base) or of this subclass (called on a
   * subclass, e.g. `DataFormatError.isInstance(e)`), including ones from another copy of the package.
   */
  static isInstance<T extends abstract new (...args: never[]) => SteerLMError>(
    this: T & { code: string | undefined },
    error: unknown,
  ): error is InstanceType<T> {
    if (typeof error !== 'object' || error === null || (error as Record<symbol, unknown>)[marker] !== true) return false;
    return this.code === undefined || (error as SteerLMError).code === this.code;
  }
}
