/**
 * Acquire a WebGPU device with the features kernels need: in browsers from `navigator.gpu`, in Node
 * from Dawn (the `webgpu` npm package). The GPU object, the adapter and the device are held in a
 * module-level holder for the device's whole life: when V8 collects Dawn's GPU or adapter object
 * while the device is alive, Dawn aborts the process.
 */
import { BackendError } from '@steerlm/core';
import { watchDeviceErrors } from './device-errors';
import { describeAdapter, readDeviceFeatures, type AdapterDescription, type DeviceFeatures } from './device-features';

/** Dawn toggles that expose shader-f16 and subgroup matrices on NVIDIA's Vulkan driver. */
export const DEFAULT_DAWN_TOGGLES: readonly string[] = ['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia'];

/** Optional features requested whenever the adapter offers them. */
export const WANTED_FEATURES: readonly string[] = ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix', 'timestamp-query', 'bgra8unorm-storage'];

/** Limits raised to the adapter's maximum. */
export const RAISED_LIMITS: readonly string[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

export interface AcquireDeviceOptions {
  /** Dawn toggles passed to `create()` in Node. */
  dawnToggles?: readonly string[];
  /** Milliseconds to wait for `requestAdapter` / `requestDevice` before giving up (default 10 000). */
  timeoutMs?: number;
  powerPreference?: GPUPowerPreference;
  /**
   * Accept a software or fallback adapter (lavapipe, SwiftShader; default true). With false, such an
   * adapter is refused with a SoftwareAdapterError before any device is made on it.
   */
  allowSoftwareAdapter?: boolean;
}

/** The adapter found is a software one and the caller did not accept it (see `allowSoftwareAdapter`). */
export class SoftwareAdapterError extends BackendError {
  readonly adapterDescription: AdapterDescription;
  constructor(description: AdapterDescription) {
    super(`the only WebGPU adapter is a software one (${adapterName(description)}), slower than wasm on the same CPU`, {
      backend: 'webgpu',
      hint: 'pass --backend webgpu (prefer: "webgpu") to use it anyway',
    });
    this.adapterDescription = description;
  }
}

/** Returns an adapter's name in words: vendor, architecture and description, e.g. "mesa software llvmpipe: Mesa 25". */
export function adapterName(description: AdapterDescription): string {
  return [description.vendor, description.architecture, description.description].filter((part) => part !== '').join(' ') || 'unnamed adapter';
}

/** A live device with everything that must stay referenced while it is used. */
export interface AcquiredDevice {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  adapterInfo: unknown;
  adapterDescription: AdapterDescription;
  features: DeviceFeatures;
  /** 'node-dawn' or 'navigator'. */
  source: 'node-dawn' | 'navigator';
  /** Set when the device was lost (reason and message). */
  lost: { reason: string; message: string } | null;
}

/** Strong references that keep Dawn's objects alive for the device's life (see file comment). */
const holder: { current: AcquiredDevice | null; gpu: GPU | null } = { current: null, gpu: null };

/** Returns the device acquired last, or null when none is alive. */
export function currentDevice(): AcquiredDevice | null {
  return holder.current !== null && holder.current.lost === null ? holder.current : null;
}

/** Returns `promise`'s value, or rejects with a BackendError after `ms` milliseconds. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BackendError(`${what} did not answer within ${ms} ms`, {
            backend: 'webgpu',
            hint: 'check the GPU driver, or choose another backend with prefer: "wasm"',
          }),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node !== undefined;
}

/** Returns the WebGPU entry point: `navigator.gpu` in browsers, a Dawn instance in Node. */
async function obtainGPU(toggles: readonly string[]): Promise<{ gpu: GPU; source: 'node-dawn' | 'navigator' }> {
  const navigatorGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (navigatorGpu !== undefined && !isNode()) return { gpu: navigatorGpu, source: 'navigator' };
  if (!isNode())
    throw new BackendError('WebGPU is not available: navigator.gpu is undefined', {
      backend: 'webgpu',
      hint: 'use a browser with WebGPU enabled, or prefer: "wasm"',
    });
  if (holder.gpu !== null) return { gpu: holder.gpu, source: 'node-dawn' };
  let dawn: { create: (options: string[]) => GPU; globals: object };
  try {
    const moduleName = 'webgpu';
    dawn = (await import(/* @vite-ignore */ moduleName)) as typeof dawn;
  } catch (cause) {
    throw new BackendError('the "webgpu" package (Dawn for Node) could not be loaded', {
      backend: 'webgpu',
      cause,
      hint: 'install "webgpu" or prefer: "wasm"',
    });
  }
  // WebGPU classes (GPUBuffer, GPUBufferUsage, …) must be globals for tfjs-backend-webgpu.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const gpu = dawn.create([...toggles]);
  holder.gpu = gpu;
  // tfjs-backend-webgpu checks `navigator.gpu` before it constructs a backend.
  const globalRecord = globalThis as { navigator?: { gpu?: GPU } };
  if (globalRecord.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  } else if (globalRecord.navigator.gpu === undefined) {
    Object.defineProperty(globalRecord.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
  }
  return { gpu, source: 'node-dawn' };
}

/**
 * Returns a WebGPU device with every wanted feature the adapter offers and raised limits.
 * Reuses the live device from an earlier call; throws BackendError (never hangs) without an adapter.
 */
export async function acquireWebGPUDevice(options: AcquireDeviceOptions = {}): Promise<AcquiredDevice> {
  const live = currentDevice();
  if (live !== null) {
    if (options.allowSoftwareAdapter === false && live.adapterDescription.software) throw new SoftwareAdapterError(live.adapterDescription);
    return live;
  }
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { gpu, source } = await obtainGPU(options.dawnToggles ?? DEFAULT_DAWN_TOGGLES);
  const adapterOptions: GPURequestAdapterOptions = { powerPreference: options.powerPreference ?? 'high-performance' };
  const adapter = await withTimeout(gpu.requestAdapter(adapterOptions), timeoutMs, 'navigator.gpu.requestAdapter()');
  if (adapter === null) {
    throw new BackendError('no WebGPU adapter was found', {
      backend: 'webgpu',
      hint: 'install a Vulkan/Metal/D3D12 driver (Mesa lavapipe works on CPU), or prefer: "wasm"',
    });
  }
  const adapterInfo: unknown = (adapter as GPUAdapter & { info?: unknown }).info;
  const adapterDescription = describeAdapter(adapterInfo, (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter === true);
  if (options.allowSoftwareAdapter === false && adapterDescription.software) throw new SoftwareAdapterError(adapterDescription);
  const offered = adapter.features as ReadonlySet<string>;
  const requiredFeatures = WANTED_FEATURES.filter((name) => offered.has(name));
  const adapterLimits = adapter.limits as unknown as Record<string, number>;
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) {
    const value = adapterLimits[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  let device: GPUDevice;
  try {
    device = await withTimeout(
      adapter.requestDevice({ requiredFeatures: requiredFeatures as GPUFeatureName[], requiredLimits }),
      timeoutMs,
      'GPUAdapter.requestDevice()',
    );
  } catch (cause) {
    if (cause instanceof BackendError) throw cause;
    throw new BackendError(`requestDevice failed: ${(cause as Error).message}`, { backend: 'webgpu', cause });
  }
  watchDeviceErrors(device);
  const acquired: AcquiredDevice = {
    gpu,
    adapter,
    device,
    adapterInfo,
    adapterDescription,
    features: readDeviceFeatures(device, adapterInfo),
    source,
    lost: null,
  };
  holder.current = acquired;
  void device.lost.then((info) => {
    acquired.lost = { reason: String(info.reason), message: info.message };
  });
  return acquired;
}
