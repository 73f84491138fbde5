import { InvalidOptionError } from '@steerlm/core';

/** The compute backend a command runs on, in words for the start-up line. */
export interface ComputeBackend {
  readonly backend: string;
  /** The device, e.g. `webgpu on mesa llvmpipe (software)`, or the reason a backend was chosen. */
  readonly device: string;
}

/** Returns the tfjs backend selected for this process (preferring `prefer` when given) and its device in words. */
export async function selectComputeBackend(prefer?: string): Promise<ComputeBackend> {
  const sft = await import('@steerlm/sft');
  if (prefer !== undefined && !sft.isBackendName(prefer)) {
    throw new InvalidOptionError(`unknown backend "${prefer}"`, { option: 'backend', hint: `use one of ${sft.BACKEND_ORDER.join(', ')}` });
  }
  const selection = await sft.selectBackend(prefer !== undefined && sft.isBackendName(prefer) ? { prefer } : {});
  const adapter = selection.adapterInfo;
  const device = adapter
    ? `${[adapter.vendor, adapter.architecture, adapter.device, adapter.description].filter((part) => part !== '').join(' ')}${adapter.software ? ' (software adapter)' : ''}`
    : selection.reason;
  return { backend: selection.backend, device };
}
