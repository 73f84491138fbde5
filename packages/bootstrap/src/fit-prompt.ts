import { ContextLengthError, InvalidOptionError } from '@steerlm/core';
import type { BootstrapPrompt } from './bootstrap-prompt';

/**
 * What a run does with a prompt the model cannot take (a ContextLengthError from generating or
 * scoring): `skip` it (counted in the summary), `truncate-left` (drop the oldest turns, then the start
 * of the remaining user turn, until it fits) or `fail` the run.
 */
export type LongPromptPolicy = 'skip' | 'truncate-left' | 'fail';

export const LONG_PROMPT_POLICIES: readonly LongPromptPolicy[] = ['skip', 'truncate-left', 'fail'];

/** The tally of long prompts over a run. */
export interface LongPromptTally {
  /** Ids of prompts skipped because they do not fit the model. */
  readonly skipped: string[];
  /** Ids of prompts that were cut from the left to fit. */
  readonly truncated: string[];
}

/** Throws an InvalidOptionError unless `policy` is a LongPromptPolicy. */
export function checkLongPromptPolicy(policy: string): asserts policy is LongPromptPolicy {
  if (!(LONG_PROMPT_POLICIES as readonly string[]).includes(policy)) {
    throw new InvalidOptionError(`longPrompts must be one of ${LONG_PROMPT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`, { option: 'longPrompts' });
  }
}

/**
 * Returns `prompt` shortened from the left: its oldest exchange dropped (up to the next user turn) when
 * it has more than one turn, else the start of its only turn cut to the share of tokens that fits (at
 * most 90 % of the model's positions over the prompt's tokens, half when unknown); undefined when
 * nothing is left to cut.
 */
export function truncatePromptLeft(prompt: BootstrapPrompt, overrun: ContextLengthError): BootstrapPrompt | undefined {
  const nextUser = prompt.turns.findIndex((turn, index) => index > 0 && turn.role === 'user');
  if (nextUser > 0) return { ...prompt, turns: prompt.turns.slice(nextUser) };
  const last = prompt.turns[prompt.turns.length - 1]!;
  const share = overrun.tokens !== undefined && overrun.positions !== undefined && overrun.tokens > 0 ? (0.9 * overrun.positions) / overrun.tokens : 0.5;
  const keep = Math.min(last.text.length - 1, Math.floor(last.text.length * Math.min(share, 0.9)));
  if (keep < 1) return undefined;
  return { ...prompt, turns: [{ ...last, text: last.text.slice(last.text.length - keep) }] };
}

/**
 * Returns what `attempt` makes of `prompt`, and the prompt it used, handling a ContextLengthError by
 * `policy` (skip: undefined; truncate-left: retry on a shorter prompt, undefined once nothing is left;
 * fail: rethrow). Other errors pass through. Skips and truncations are recorded in `tally`.
 */
export async function fitPrompt<T>(
  prompt: BootstrapPrompt,
  policy: LongPromptPolicy,
  tally: LongPromptTally,
  attempt: (prompt: BootstrapPrompt) => Promise<T>,
): Promise<{ result: T; prompt: BootstrapPrompt } | undefined> {
  let current = prompt;
  for (;;) {
    try {
      const result = await attempt(current);
      if (current !== prompt) tally.truncated.push(prompt.id);
      return { result, prompt: current };
    } catch (error) {
      if (!ContextLengthError.isInstance(error) || policy === 'fail') throw error;
      const shorter = policy === 'truncate-left' ? truncatePromptLeft(current, error) : undefined;
      if (shorter === undefined) {
        tally.skipped.push(prompt.id);
        return undefined;
      }
      current = shorter;
    }
  }
}
