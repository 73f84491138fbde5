// Shape legend: V vocabulary rows, C channels, N looked-up ids.

/** Returns table[ids[n]] for each n, as [N, C]. */
export function embeddingReference(table: Float32Array, ids: Int32Array, channels: number): Float32Array {
  const out = new Float32Array(ids.length * channels);
  ids.forEach((id, n) => out.set(table.subarray(id * channels, (id + 1) * channels), n * channels));
  return out;
}

/** Returns dtable [V, C]: row v is the sum, in ascending n, of dy[n] over the n with ids[n] = v. */
export function embeddingBackwardReference(dy: Float32Array, ids: Int32Array, vocabulary: number, channels: number): Float32Array {
  const dtable = new Float64Array(vocabulary * channels);
  ids.forEach((id, n) => {
    for (let c = 0; c < channels; c++) dtable[id * channels + c] += dy[n * channels + c]!;
  });
  return Float32Array.from(dtable);
}
