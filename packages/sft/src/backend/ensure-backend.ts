/**
 * Model loading initialises a backend by itself: when nobody chose one (no selectBackend, no
 * tf.setBackend), tfjs would try its highest-priority backend synchronously and fail deep inside
 * ("The highest priority backend 'wasm' has not yet been initialized"). Here the default choice runs
 * instead, with its report available from currentSelection().
 */
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendSelection } from './select-backend';

/** Resolves once a tfjs backend is active: the one already set, or selectBackend's default choice (returned). */
export async function ensureBackend(): Promise<BackendSelection | null> {
  const engine = tf.engine() as unknown as { backendName: string | null };
  if (engine.backendName) return null;
  return selectBackend();
}
