/**
 * The worker-thread side of an {@link OnnxruntimeDecoder} made with `worker: true`. onnxruntime-node's
 * `session.run` computes on the thread that calls it, so a decode on the main thread blocks everything
 * else there (a server's sockets, its streaming). Here the onnxruntime session and the decodes' key/value
 * caches live in a worker thread; the main thread drives them through {@link OnnxruntimeWorkerDecodeSession}
 * proxies and samples from the logits rows they send back, and meanwhile does its own work.
 *
 * Protocol: each request names a decode by id; the worker answers every request with one reply, in the
 * order it got them (requests run one after another), so the main thread matches replies by order.
 */
import type * as Ort from 'onnxruntime-node';
import { InvalidOptionError } from '@steerlm/core';
import type { BatchingDecodeSession } from './decode-session';
import { OnnxruntimeDecodeSession, type DecodeGeometry } from './onnxruntime-decode-session';
import { loadOnnxruntime } from './onnxruntime-decoder';
import { OnnxruntimeInPlaceDecodeSession, PromptPrefixCache } from './onnxruntime-in-place-decode-session';

/** The URL of the module that exports runOnnxruntimeDecodeWorker (this one, or the bundle it is built into). */
export const ONNXRUNTIME_DECODE_WORKER_MODULE = import.meta.url;

/** What the main thread gives the worker when it starts it. */
export interface DecodeWorkerData {
  readonly steerlmOnnxruntimeDecode: true;
  /** The ONNX model's bytes (the in-memory export). */
  readonly model: Uint8Array;
  readonly sessionOptions: Ort.InferenceSession.SessionOptions;
  readonly geometry: DecodeGeometry;
  readonly maxPositions: number;
  readonly inPlaceCache: boolean;
  readonly slotChunk: number | undefined;
  readonly prefixCache: boolean;
  readonly preallocate: boolean;
}

/** A request to the worker (each answered by one {@link DecodeWorkerReply}, in order). */
export type DecodeWorkerRequest =
  | { readonly op: 'open'; readonly id: number }
  | { readonly op: 'prefill'; readonly id: number; readonly prompts: readonly (readonly number[])[] }
  /** One token per row; -1 for a finished row (fed as a filler). */
  | { readonly op: 'step'; readonly id: number; readonly tokens: Int32Array }
  | { readonly op: 'append'; readonly id: number; readonly other: number }
  | { readonly op: 'select'; readonly id: number; readonly rows: readonly number[] }
  | { readonly op: 'dispose'; readonly id: number };

/** The worker's answer: the decode's key slots after the request, the logits of a prefill or step. */
export type DecodeWorkerReply =
  | {
      readonly ok: true;
      readonly keySlots: number;
      /** Prefill and step: the logits rows [rows, vocab], one buffer (transferred). */
      readonly logits?: Float32Array;
      /** Prefill on an in-place cache: the prompt tokens each row copied from the prefix cache. */
      readonly reusedPrefix?: readonly number[];
    }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly stack: string; readonly option?: string };

/** The worker's first message: its session is ready, or could not be made. */
export type DecodeWorkerReady = { readonly ready: true } | { readonly ready: false; readonly message: string; readonly stack: string };

/** Packs logits rows into one buffer [rows, vocab] (to transfer). */
function packRows(rows: readonly Float32Array[], vocab: number): Float32Array {
  const packed = new Float32Array(rows.length * vocab);
  rows.forEach((row, index) => packed.set(row, index * vocab));
  return packed;
}

/**
 * Runs in a worker thread started by an OnnxruntimeDecoder with `worker: true`: makes the onnxruntime
 * session from the model bytes, then answers the decode requests of the main thread until it ends.
 */
export async function runOnnxruntimeDecodeWorker(): Promise<void> {
  const { parentPort, workerData, isMainThread } = await import('node:worker_threads');
  const data = workerData as DecodeWorkerData | null;
  if (isMainThread || !parentPort || data?.steerlmOnnxruntimeDecode !== true) {
    throw new InvalidOptionError('runOnnxruntimeDecodeWorker runs only in a worker thread started by OnnxruntimeDecoder', {
      option: 'worker',
      hint: 'create the decoder with OnnxruntimeDecoder.create(model, { worker: true })',
    });
  }
  const port = parentPort;
  let ort: Awaited<ReturnType<typeof loadOnnxruntime>>;
  let session: Ort.InferenceSession;
  try {
    ort = await loadOnnxruntime();
    if (!ort) throw new Error('onnxruntime-node could not be loaded in the decode worker thread');
    session = await ort.InferenceSession.create(data.model, data.sessionOptions);
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    port.postMessage({ ready: false, message: failure.message, stack: failure.stack ?? '' } satisfies DecodeWorkerReady);
    return;
  }
  const prefixes = data.inPlaceCache && data.prefixCache ? new PromptPrefixCache() : undefined;
  const decodes = new Map<number, BatchingDecodeSession>();
  const open = (): BatchingDecodeSession => {
    const common = { geometry: data.geometry, maxPositions: data.maxPositions };
    if (data.inPlaceCache) {
      return new OnnxruntimeInPlaceDecodeSession(ort, session, {
        ...common,
        ...(data.slotChunk !== undefined ? { slotChunk: data.slotChunk } : {}),
        ...(prefixes ? { prefixes } : {}),
      });
    }
    return new OnnxruntimeDecodeSession(ort, session, { ...common, preallocate: data.preallocate });
  };
  const decodeOf = (id: number): BatchingDecodeSession => {
    const decode = decodes.get(id);
    if (!decode) throw new InvalidOptionError(`the decode worker has no decode ${id} (it was disposed)`, { option: 'session' });
    return decode;
  };
  const answer = async (request: DecodeWorkerRequest): Promise<{ reply: DecodeWorkerReply; transfer: ArrayBuffer[] }> => {
    let logits: Float32Array | undefined;
    let reusedPrefix: readonly number[] | undefined;
    switch (request.op) {
      case 'open':
        decodes.set(request.id, open());
        break;
      case 'prefill': {
        const decode = decodeOf(request.id);
        logits = packRows(await decode.prefill(request.prompts), data.geometry.vocab);
        if (decode instanceof OnnxruntimeInPlaceDecodeSession) reusedPrefix = decode.reusedPrefix;
        break;
      }
      case 'step': {
        const tokens = Array.from(request.tokens, (token) => (token < 0 ? undefined : token));
        logits = packRows(await decodeOf(request.id).step(tokens), data.geometry.vocab);
        break;
      }
      case 'append':
        await decodeOf(request.id).appendRows(decodeOf(request.other));
        decodes.delete(request.other);
        break;
      case 'select':
        await decodeOf(request.id).selectRows(request.rows);
        break;
      case 'dispose':
        decodes.get(request.id)?.dispose();
        decodes.delete(request.id);
        return { reply: { ok: true, keySlots: 0 }, transfer: [] };
    }
    const decode = decodeOf(request.id);
    return {
      reply: { ok: true, keySlots: decode.keySlots, ...(logits ? { logits } : {}), ...(reusedPrefix ? { reusedPrefix } : {}) },
      transfer: logits ? [logits.buffer as ArrayBuffer] : [],
    };
  };
  // Requests run one after another, in the order they came (a step waits for the select before it).
  let queue = Promise.resolve();
  port.on('message', (request: DecodeWorkerRequest) => {
    queue = queue.then(async () => {
      try {
        const { reply, transfer } = await answer(request);
        port.postMessage(reply, transfer);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        const option = (failure as { option?: unknown }).option;
        port.postMessage({
          ok: false,
          name: failure.name,
          message: failure.message,
          stack: failure.stack ?? '',
          ...(typeof option === 'string' ? { option } : {}),
        } satisfies DecodeWorkerReply);
      }
    });
  });
  port.postMessage({ ready: true } satisfies DecodeWorkerReady);
}
