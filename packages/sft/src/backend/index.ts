export { BACKEND_ORDER, isBackendName, type BackendName } from './backend-name';
export {
  acquireWebGPUDevice,
  adapterName,
  SoftwareAdapterError,
  currentDevice,
  DEFAULT_DAWN_TOGGLES,
  RAISED_LIMITS,
  WANTED_FEATURES,
  withTimeout,
  type AcquireDeviceOptions,
  type AcquiredDevice,
} from './dawn-device';
export { describeAdapter, readDeviceFeatures, type AdapterDescription, type DeviceFeatures, type SubgroupMatrixConfig } from './device-features';
export { registerWebGPUBackend } from './register-webgpu';
export { currentSelection, selectBackend, type BackendSelection, type FallbackAttempt, type SelectBackendOptions } from './select-backend';
export { ensureWasmPaths } from './wasm-paths';
export {
  pendingDeviceErrorCount,
  programInMessage,
  recordDeviceError,
  takeDeviceErrors,
  throwIfDeviceFailed,
  watchDeviceErrors,
  type DeviceErrorKind,
  type DeviceErrorRecord,
} from './device-errors';
export { readFloat32, readRows, readScalar, readTensor } from './read-tensor';
export {
  describeSelfTests,
  deviceSelfTestResult,
  registerDeviceSelfTest,
  runDeviceSelfTests,
  type DeviceSelfTest,
  type DeviceSelfTestReport,
} from './device-self-tests';
