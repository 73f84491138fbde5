import * as tf from '@tensorflow/tfjs';
import { InvalidOptionError } from '@steerlm/core';

/** LoRA settings (PEFT's names): W' = W + (alpha / rank) · B · A on the target Linear layers. */
export interface LoraConfig {
  rank: number;
  alpha: number;
  /** Dropout on the adapter's input while training (0..1). */
  dropout?: number;
  /** Linear layer suffixes to adapt, e.g. ['q_proj', 'v_proj'] (Llama) or ['c_attn'] (GPT-2). */
  targetModules: readonly string[];
}

/** One adapter: A [r, in] (random), B [out, r] (zeros), so a fresh adapter changes nothing. */
export interface LoraAdapter {
  a: tf.Variable;
  b: tf.Variable;
  scale: number;
}

/** Validates a LoRA config and returns it with defaults filled in. */
export function resolveLoraConfig(config: LoraConfig): Required<LoraConfig> {
  if (!Number.isInteger(config.rank) || config.rank < 1)
    throw new InvalidOptionError(`LoRA rank must be a positive integer, got ${config.rank}`, { option: 'lora.rank' });
  if (!(config.alpha > 0)) throw new InvalidOptionError(`LoRA alpha must be positive, got ${config.alpha}`, { option: 'lora.alpha' });
  const dropout = config.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new InvalidOptionError(`LoRA dropout must be in [0, 1), got ${dropout}`, { option: 'lora.dropout' });
  if (config.targetModules.length === 0) throw new InvalidOptionError('LoRA needs at least one target module', { option: 'lora.targetModules' });
  return { rank: config.rank, alpha: config.alpha, dropout, targetModules: [...config.targetModules] };
}

/** Returns the Linear layer names (without `.weight`) of `parameterNames` that a target module matches. */
export function loraTargets(parameterNames: Iterable<string>, targetModules: readonly string[]): string[] {
  const targets: string[] = [];
  for (const name of parameterNames) {
    if (!name.endsWith('.weight')) continue;
    const layer = name.slice(0, -'.weight'.length);
    const last = layer.split('.').at(-1)!;
    if (targetModules.includes(last)) targets.push(layer);
  }
  return targets;
}

/** PEFT's tensor names of an adapter on `layer`. */
export function peftTensorNames(layer: string): { a: string; b: string } {
  return { a: `base_model.model.${layer}.lora_A.weight`, b: `base_model.model.${layer}.lora_B.weight` };
}
