export { acquireBuffer, borrowValues, isHostBackend, outputBuffer, readInto, releaseBuffer } from './host-values';
export { firstOutOfRange, hostInt32Values } from './host-int32';
