/** The compute backends selectBackend knows, in its default order of preference. */
export const BACKEND_ORDER = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

/** A compute backend name as selectBackend reports it. */
export type BackendName = (typeof BACKEND_ORDER)[number];

/** Returns true when `value` names a backend selectBackend knows. */
export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKEND_ORDER as readonly string[]).includes(value);
}
