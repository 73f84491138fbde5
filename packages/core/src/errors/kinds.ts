import { SteerLMError, type SteerLMErrorOptions } from './steerlm-error';

/** An attribute schema definition is invalid (bad name, range, duplicate). */
export class InvalidSchemaError extends SteerLMError {
  static override readonly code = 'steerlm.invalid-schema';
  constructor(message: string, options?: SteerLMErrorOptions) {
    super(InvalidSchemaError.code, message, options);
    this.name = 'InvalidSchemaError';
  }
}

/** Attribute values or an attribute string do not fit a schema (unknown name, out of range, …). */
export class InvalidAttributeError extends SteerLMError {
  static override readonly code = 'steerlm.invalid-attribute';
  /** The attribute concerned, when one is. */
  readonly attribute: string | undefined;
  constructor(message: string, options?: SteerLMErrorOptions & { attribute?: string }) {
    super(InvalidAttributeError.code, message, options);
    this.name = 'InvalidAttributeError';
    this.attribute = options?.attribute;
  }
}

/** A prompt or conversation cannot be rendered or parsed with a template. */
export class TemplateError extends SteerLMError {
  static override readonly code = 'steerlm.template';
  constructor(message: string, options?: SteerLMErrorOptions) {
    super(TemplateError.code, message, options);
    this.name = 'TemplateError';
  }
}

/** A data record (a JSONL line, a row) is malformed; carries file, line and field. */
export class DataFormatError extends SteerLMError {
  static override readonly code = 'steerlm.data-format';
  constructor(message: string, options?: SteerLMErrorOptions) {
    super(DataFormatError.code, message, options);
    this.name = 'DataFormatError';
  }
}

/** A model, tokenizer or weights file is invalid, truncated or of an unsupported kind. */
export class ModelFormatError extends SteerLMError {
  static override readonly code = 'steerlm.model-format';
  constructor(message: string, options?: SteerLMErrorOptions) {
    super(ModelFormatError.code, message, options);
    this.name = 'ModelFormatError';
  }
}

/** A compute backend or device is missing, lost or out of memory. */
export class BackendError extends SteerLMError {
  static override readonly code = 'steerlm.backend';
  readonly backend: string | undefined;
  constructor(message: string, options?: SteerLMErrorOptions & { backend?: string }) {
    super(BackendError.code, message, options);
    this.name = 'BackendError';
    this.backend = options?.backend;
  }
}

/** Tensor shapes or dtypes given to an op do not fit. */
export class ShapeError extends SteerLMError {
  static override readonly code = 'steerlm.shape';
  constructor(message: string, options?: SteerLMErrorOptions) {
    super(ShapeError.code, message, options);
    this.name = 'ShapeError';
  }
}

/** Training diverged (repeated NaN/Inf) or cannot continue; names the step and the last good checkpoint. */
export class TrainingError extends SteerLMError {
  static override readonly code = 'steerlm.training';
  readonly step: number | undefined;
  readonly checkpoint: string | undefined;
  constructor(message: string, options?: SteerLMErrorOptions & { step?: number; checkpoint?: string }) {
    super(TrainingError.code, message, options);
    this.name = 'TrainingError';
    this.step = options?.step;
    this.checkpoint = options?.checkpoint;
  }
}

/** A remote endpoint (OpenAI-compatible server) failed after retries, timed out or answered badly. */
export class RemoteError extends SteerLMError {
  static override readonly code = 'steerlm.remote';
  readonly status: number | undefined;
  readonly url: string | undefined;
  /** How many requests were made before giving up. */
  readonly attempts: number | undefined;
  /** The start of the server's last answer, when it sent one. */
  readonly body: string | undefined;
  constructor(message: string, options?: SteerLMErrorOptions & { status?: number; url?: string; attempts?: number; body?: string }) {
    super(RemoteError.code, message, options);
    this.name = 'RemoteError';
    this.status = options?.status;
    this.url = options?.url;
    this.attempts = options?.attempts;
    this.body = options?.body;
  }
}

/** Options or configuration given to an API or command are invalid. */
export class InvalidOptionError extends SteerLMError {
  static override readonly code = 'steerlm.invalid-option';
  readonly option: string | undefined;
  constructor(message: string, options?: SteerLMErrorOptions & { option?: string }) {
    super(InvalidOptionError.code, message, options);
    this.name = 'InvalidOptionError';
    this.option = options?.option;
  }
}

/**
 * A prompt (or prompt and continuation) is longer than the model's context: `tokens` against
 * `positions`. Callers that handle many prompts (bootstrap, eval) skip or truncate on it; the
 * steering server answers 400 with code `context_length_exceeded`, as OpenAI does.
 */
export class ContextLengthError extends SteerLMError {
  static override readonly code = 'steerlm.context-length';
  /** The tokens asked for, when known. */
  readonly tokens: number | undefined;
  /** The model's positions (its context length), when known. */
  readonly positions: number | undefined;
  constructor(message: string, options?: SteerLMErrorOptions & { tokens?: number; positions?: number }) {
    super(ContextLengthError.code, message, options);
    this.name = 'ContextLengthError';
    this.tokens = options?.tokens;
    this.positions = options?.positions;
  }
}

/** Why a Hugging Face Hub download failed (see {@link HubError}). */
export type HubErrorReason =
  | 'unauthorized'
  | 'gated'
  | 'repo-not-found'
  | 'revision-not-found'
  | 'file-not-found'
  | 'checksum'
  | 'offline'
  | 'cache-not-writable'
  | 'network'
  | 'bad-response';

/**
 * A model or tokenizer named by a Hugging Face Hub id (`org/name[@revision]`) could not be fetched or
 * found in the cache: a private or gated repo, a missing repo, revision or file, a checksum mismatch,
 * offline mode without the files cached, a cache folder that cannot be written, or a network failure.
 */
export class HubError extends SteerLMError {
  static override readonly code = 'steerlm.hub';
  readonly reason: HubErrorReason;
  /** The repo id, e.g. `HuggingFaceTB/SmolLM2-135M`. */
  readonly repo: string | undefined;
  /** The revision asked for (branch, tag or commit). */
  readonly revision: string | undefined;
  /** The HTTP status, when the Hub answered. */
  readonly status: number | undefined;
  /** The URL requested, when one was. */
  readonly url: string | undefined;
  constructor(message: string, options: SteerLMErrorOptions & { reason: HubErrorReason; repo?: string; revision?: string; status?: number; url?: string }) {
    super(HubError.code, message, options);
    this.name = 'HubError';
    this.reason = options.reason;
    this.repo = options.repo;
    this.revision = options.revision;
    this.status = options.status;
    this.url = options.url;
  }
}
