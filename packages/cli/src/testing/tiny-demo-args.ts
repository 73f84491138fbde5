/** `steerlm demo` flags for a tiny model (every stage runs, in seconds rather than minutes). */
export const TINY_DEMO_MODEL = '--size 240 --facts 6 --vocab-size 400 --hidden-size 32 --layers 1 --heads 2 --sft-steps 6'.split(' ');

/** `steerlm demo` flags for small bootstrap, steering and correctness stages. */
export const SMALL_DEMO_STAGES = '--bootstrap-prompts 8 --bootstrap-steps 2 --steering-prompts 2 --correctness-prompts 6 --batch-size 16'.split(' ');
