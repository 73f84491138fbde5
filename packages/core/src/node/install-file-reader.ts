import { installFileChunkReader } from '../data/byte-source';
import { readDataFileChunks } from './read-file-chunks';

// Imported for its effect by the Node entry points: readers given a file path use Node's file system,
// and decompress `.gz` files as they read.
installFileChunkReader(readDataFileChunks);
