import { STEERLM, validateAttributes, type AttributeSchema, type AttributeValues } from '../attributes';
import { InvalidAttributeError, InvalidOptionError } from '../errors';
import type { WeightedPrompt } from '../spec';
import { conditionPrompt, type ConditionPromptOptions } from './condition-prompt';

/** At most this many prompts may be mixed into one (`GenerateOptions.mixPrompts`, the main prompt not counted). */
export const MAX_MIX_PROMPTS = 16;

/** At most this many attributes of one label may be fractional (interpolated): 2^3 = 8 prompt rows. */
export const MAX_INTERPOLATED_ATTRIBUTES = 3;

/**
 * Attribute guidance (steering strength): with scale s the next-token logits are
 * neutral + s·(conditioned − neutral). s = 1 is plain SteerLM, s = 0 decodes the neutral prompt, s > 1
 * pushes further from the neutral prompt along the attributes, s < 0 steers away from them.
 */
export interface AttributeGuidance {
  /** The steering strength s: any finite number (1 = plain SteerLM). */
  readonly scale: number;
  /**
   * The neutral prompt's label. Absent: the same prompt without the attribute line. Given: the
   * conditioned label with these values put in place, e.g. `{ humor: 0 }` guides along humor alone (the
   * other attributes keep their requested values). Values may be fractional (interpolated) too.
   */
  readonly neutral?: Readonly<Record<string, number | undefined>>;
}

/** `conditionPrompt`'s options, with fractional attribute values allowed (interpolation) and a guidance. */
export interface GuidedPromptOptions extends Omit<ConditionPromptOptions, 'attributes'> {
  /**
   * The attribute values; a fractional value such as humor 2.5 interpolates between the neighbouring
   * labels (see `interpolateAttributes`). Omit for an unconditioned prompt.
   */
  attributes?: Readonly<Record<string, number | undefined>>;
  guidance?: AttributeGuidance;
}

/** The rows of a guided generation: pass `prompt` and `mixPrompts` to `LanguageModel.generate`. */
export interface GuidedPrompts {
  /** The first row (the conditioned prompt, or its first interpolation corner; the neutral one at s = 0). */
  readonly prompt: string;
  /** The other rows and their weights (`GenerateOptions.mixPrompts`); empty for plain SteerLM. */
  readonly mixPrompts: readonly WeightedPrompt[];
  /** Every row with its weight (the first is `prompt`); the weights sum to 1. */
  readonly rows: readonly WeightedPrompt[];
}

/** A label with integer values and its weight in an interpolation. */
export interface WeightedAttributes {
  readonly attributes: AttributeValues;
  readonly weight: number;
}

/**
 * Returns the integer labels whose logits a label with fractional values mixes, with multilinear
 * weights: for fractional attributes a₁…a_k (k ≤ MAX_INTERPOLATED_ATTRIBUTES) with values ⌊vᵢ⌋ + fᵢ, the
 * 2^k corners take ⌊vᵢ⌋ or ⌊vᵢ⌋ + 1 for each, weighted Π (fᵢ or 1 − fᵢ). Integer values give one corner
 * of weight 1. Values are checked (known names, inside the range, finite), never clamped.
 */
export function interpolateAttributes(values: Readonly<Record<string, number | undefined>>, schema: AttributeSchema = STEERLM): WeightedAttributes[] {
  if (typeof values !== 'object' || values === null) throw new InvalidAttributeError('attribute values must be an object such as { humor: 2.5 }');
  const floors: Record<string, number> = {};
  const fractions: { name: string; fraction: number }[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const definition = schema.get(name);
    if (definition && typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
      if (value < definition.min || value > definition.max) {
        throw new InvalidAttributeError(`attribute "${name}" is ${value}, outside ${definition.min}..${definition.max}`, {
          attribute: name,
          field: name,
          hint: 'values are never clamped: pass a value inside the range',
        });
      }
      floors[name] = Math.floor(value);
      fractions.push({ name, fraction: value - Math.floor(value) });
    } else {
      // validateAttributes below names unknown attributes, non-numbers and out-of-range integers.
      floors[name] = value;
    }
  }
  const base = validateAttributes(floors, schema);
  if (fractions.length > MAX_INTERPOLATED_ATTRIBUTES) {
    throw new InvalidAttributeError(
      `${fractions.length} attributes have fractional values (${fractions.map((item) => item.name).join(', ')}); at most ${MAX_INTERPOLATED_ATTRIBUTES} may be interpolated`,
      {
        attribute: fractions[MAX_INTERPOLATED_ATTRIBUTES]!.name,
        hint: `each fractional attribute doubles the decoded rows: round all but ${MAX_INTERPOLATED_ATTRIBUTES}`,
      },
    );
  }
  const corners: WeightedAttributes[] = [];
  for (let mask = 0; mask < 1 << fractions.length; mask++) {
    const attributes: Record<string, number> = { ...base };
    let weight = 1;
    fractions.forEach(({ name, fraction }, index) => {
      const up = (mask >> index) & 1;
      attributes[name] = base[name]! + up;
      weight *= up ? fraction : 1 - fraction;
    });
    corners.push({ attributes: validateAttributes(attributes, schema), weight });
  }
  return corners;
}

/** Throws an InvalidOptionError unless `guidance` is `{ scale: finite number, neutral?: values }`. */
export function validateGuidance(guidance: AttributeGuidance): void {
  if (typeof guidance !== 'object' || guidance === null) {
    throw new InvalidOptionError('guidance must be an object such as { scale: 2 }', { option: 'guidance' });
  }
  if (typeof guidance.scale !== 'number' || !Number.isFinite(guidance.scale)) {
    throw new InvalidOptionError(`guidance.scale must be a finite number (1 = plain SteerLM), got ${JSON.stringify(guidance.scale)}`, {
      option: 'guidance.scale',
    });
  }
  if (guidance.neutral !== undefined && (typeof guidance.neutral !== 'object' || guidance.neutral === null)) {
    throw new InvalidOptionError('guidance.neutral must be attribute values such as { humor: 0 }', { option: 'guidance.neutral' });
  }
}

/**
 * Returns the weighted prompts of a steered request: the interpolation corners of the conditioned label
 * (weight s · corner weight) and, with guidance, those of the neutral prompt (weight (1 − s) · corner
 * weight). Rows with the same text are merged and rows of weight 0 dropped, so s = 1 with integer values
 * gives exactly the `conditionPrompt` row alone. Decoding samples from Σ weight · logits(row).
 */
export function guidedPrompts(options: GuidedPromptOptions): GuidedPrompts {
  const { attributes, guidance, ...rest } = options;
  const schema = options.schema ?? STEERLM;
  const weights = new Map<string, number>();
  const add = (values: Readonly<Record<string, number | undefined>> | undefined, scale: number) => {
    if (scale === 0) return;
    const corners = values === undefined ? [{ attributes: undefined, weight: 1 }] : interpolateAttributes(values, schema);
    for (const corner of corners) {
      const prompt = conditionPrompt({ ...rest, ...(corner.attributes !== undefined ? { attributes: corner.attributes } : {}) });
      weights.set(prompt, (weights.get(prompt) ?? 0) + scale * corner.weight);
    }
  };
  if (guidance !== undefined) validateGuidance(guidance);
  const scale = guidance?.scale ?? 1;
  // The conditioned rows come first (and are checked even at s = 0, so a bad label always fails).
  if (scale === 0 && attributes !== undefined) interpolateAttributes(attributes, schema);
  add(attributes, scale);
  if (guidance !== undefined) {
    const neutral = guidance.neutral === undefined ? undefined : { ...(attributes ?? {}), ...guidance.neutral };
    add(neutral, 1 - scale);
  }
  let rows = [...weights].filter(([, weight]) => weight !== 0).map(([prompt, weight]) => ({ prompt, weight }));
  // Conditioned and neutral prompts can coincide (no attributes, or a neutral label equal to the requested one): s + (1 − s) is 1.
  if (rows.length === 1) rows = [{ prompt: rows[0]!.prompt, weight: 1 }];
  return { prompt: rows[0]!.prompt, mixPrompts: rows.slice(1), rows };
}

/**
 * Returns the rows a generation decodes for `prompt` and `GenerateOptions.mixPrompts`: the prompt with
 * weight 1 − Σ wᵢ first, then the mixed prompts, leaving out rows of weight 0 (at s = 0 the conditioned
 * prompt is not decoded at all). Throws an InvalidOptionError for a malformed mix.
 */
export function mixedPromptRows(prompt: string, mixPrompts: readonly WeightedPrompt[] | undefined): WeightedPrompt[] {
  if (mixPrompts === undefined || mixPrompts.length === 0) return [{ prompt, weight: 1 }];
  if (!Array.isArray(mixPrompts)) throw new InvalidOptionError('mixPrompts must be an array of { prompt, weight }', { option: 'mixPrompts' });
  if (mixPrompts.length > MAX_MIX_PROMPTS) {
    throw new InvalidOptionError(`mixPrompts has ${mixPrompts.length} prompts, more than ${MAX_MIX_PROMPTS}`, { option: 'mixPrompts' });
  }
  mixPrompts.forEach((entry, index) => {
    if (typeof entry?.prompt !== 'string' || typeof entry.weight !== 'number' || !Number.isFinite(entry.weight)) {
      throw new InvalidOptionError(`mixPrompts[${index}] must be { prompt: string, weight: finite number }`, { option: `mixPrompts[${index}]` });
    }
  });
  const rest = mixPrompts.reduce((sum, entry) => sum + entry.weight, 0);
  return [{ prompt, weight: 1 - rest }, ...mixPrompts].filter((row) => row.weight !== 0).map(({ prompt: text, weight }) => ({ prompt: text, weight }));
}
