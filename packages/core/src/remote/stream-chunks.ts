/**
 * Yields the chunks of a fetch body with a reader (async iteration of ReadableStream is missing in
 * some browsers); stopping early cancels the body.
 */
export async function* streamChunks(body: ReadableStream<Uint8Array>, onChunk?: () => void): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      onChunk?.();
      yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
