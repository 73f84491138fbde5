/**
 * The special tokens of the chat formats, defined once: templates, data readers, scorers and the
 * trainer import them from here.
 */
export const STEERLM_TOKENS = Object.freeze({
  /** Starts the system header `<extra_id_0>System\n`. */
  system: '<extra_id_0>',
  /** Starts every turn (`<extra_id_1>User\n`); the one after an assistant turn is the stop the model learns. */
  turn: '<extra_id_1>',
  /** Starts an attribute label line (`<extra_id_2>quality:4,…\n`). */
  label: '<extra_id_2>',
} as const);

export const CHATML_TOKENS = Object.freeze({
  /** Starts a message: `<|im_start|>role\n`. */
  start: '<|im_start|>',
  /** Ends a message; the stop the model learns. */
  end: '<|im_end|>',
  /** Starts the attribute label line inside an assistant message. */
  label: '<|attributes|>',
} as const);
