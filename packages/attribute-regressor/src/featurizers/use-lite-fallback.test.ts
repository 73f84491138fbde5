import { afterAll, describe, expect, it, vi } from 'vitest';
import { BackendError } from '@steerlm/core';
import { createUseLiteFeaturizer } from './use-lite';

// Where onnxruntime-node does not load (a platform without its native binary), `auto` falls back to the
// tfjs model as shipped, and asking for onnxruntime explains what to do.
vi.mock('onnxruntime-node', () => {
  throw new Error('onnxruntime_binding.node: cannot open shared object file');
});

const auto = createUseLiteFeaturizer();
afterAll(() => auto.dispose());

describe('USE-lite without onnxruntime-node', () => {
  it('auto embeds on tfjs', async () => {
    expect(await auto.resolveEngine()).toBe('tfjs');
    const [vector] = await auto.embed(['How do I bake bread at home?']);
    expect(Math.hypot(...vector!)).toBeCloseTo(1, 5);
  });

  it('engine onnxruntime fails with a BackendError that names the way out', async () => {
    const onnx = createUseLiteFeaturizer({ engine: 'onnxruntime' });
    const failure = await onnx.resolveEngine().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BackendError);
    expect(String((failure as Error).message)).toContain('needs onnxruntime-node');
    expect(JSON.stringify(failure)).toContain('engine: \\"tfjs\\"');
  });
});
