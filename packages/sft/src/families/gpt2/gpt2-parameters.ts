import type { Gpt2Config } from '../../io/hf-config/gpt2-config';
import type { ParameterSpec } from '../../models/parameter-specs';

/** The token embedding [V, C] of a GPT-2 decoder (also the output embedding when tied). */
export const GPT2_TOKEN_EMBEDDING = 'transformer.wte.weight';

/** The learned position embedding [P, C] of a GPT-2 decoder. */
export const GPT2_POSITION_EMBEDDING = 'transformer.wpe.weight';

const std = 0.02;

/** Returns every parameter of a GPT-2 decoder, in Hugging Face names and layouts. */
export function gpt2ParameterSpecs(config: Gpt2Config): ParameterSpec[] {
  const { hiddenSize: C, intermediateSize: F, vocabSize: V, maxPositionEmbeddings: P } = config;
  const residual = std / Math.sqrt(2 * config.numHiddenLayers);
  const specs: ParameterSpec[] = [
    { name: GPT2_TOKEN_EMBEDDING, shape: [V, C], init: { kind: 'normal', std } },
    { name: GPT2_POSITION_EMBEDDING, shape: [P, C], init: { kind: 'normal', std: 0.01 } },
  ];
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    const prefix = `transformer.h.${layer}`;
    specs.push(
      { name: `${prefix}.ln_1.weight`, shape: [C], init: { kind: 'ones' } },
      { name: `${prefix}.ln_1.bias`, shape: [C], init: { kind: 'zeros' } },
      { name: `${prefix}.attn.c_attn.weight`, shape: [C, 3 * C], init: { kind: 'normal', std } },
      { name: `${prefix}.attn.c_attn.bias`, shape: [3 * C], init: { kind: 'zeros' } },
      { name: `${prefix}.attn.c_proj.weight`, shape: [C, C], init: { kind: 'normal', std: residual } },
      { name: `${prefix}.attn.c_proj.bias`, shape: [C], init: { kind: 'zeros' } },
      { name: `${prefix}.ln_2.weight`, shape: [C], init: { kind: 'ones' } },
      { name: `${prefix}.ln_2.bias`, shape: [C], init: { kind: 'zeros' } },
      { name: `${prefix}.mlp.c_fc.weight`, shape: [C, F], init: { kind: 'normal', std } },
      { name: `${prefix}.mlp.c_fc.bias`, shape: [F], init: { kind: 'zeros' } },
      { name: `${prefix}.mlp.c_proj.weight`, shape: [F, C], init: { kind: 'normal', std: residual } },
      { name: `${prefix}.mlp.c_proj.bias`, shape: [C], init: { kind: 'zeros' } },
    );
  }
  specs.push({ name: 'transformer.ln_f.weight', shape: [C], init: { kind: 'ones' } }, { name: 'transformer.ln_f.bias', shape: [C], init: { kind: 'zeros' } });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [V, C], init: { kind: 'normal', std } });
  return specs;
}

/**
 * Returns the canonical name of a tensor as found in a GPT-2 checkpoint: checkpoints written by the
 * original code have no `transformer.` prefix (`h.0.attn.c_attn.weight`).
 */
export function gpt2CanonicalName(name: string): string {
  return !name.startsWith('transformer.') && name !== 'lm_head.weight' ? `transformer.${name}` : name;
}

/**
 * Returns the number of parameters of a GPT-2 decoder, from the config alone (the sum over
 * `gpt2ParameterSpecs` without building the list).
 */
export function gpt2ParameterCount(config: Gpt2Config): number {
  const { hiddenSize: C, intermediateSize: F, vocabSize: V, numHiddenLayers: L } = config;
  const head = config.tieWordEmbeddings ? 0 : V * C;
  const layer = 4 * C + 3 * C * C + 3 * C + C * C + C + C * F + F + F * C + C;
  return V * C + config.maxPositionEmbeddings * C + L * layer + 2 * C + head;
}
