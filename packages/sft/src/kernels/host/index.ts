export { acquireBuffer, borrowValues, isHostBackend, outputBuffer, readInto, releaseBuffer } from './host-values';
