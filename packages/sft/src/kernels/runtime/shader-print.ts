/**
 * The WGSL print switch: when on (env `STEERLM_PRINT_WGSL=1` or `setPrintWGSL(true)`), every program
 * compiled by the runtime has its full WGSL source printed (or handed to a custom sink).
 */

/** Receives the cache key and full WGSL source of each compiled program. */
export type ShaderSink = (key: string, source: string) => void;

let sink: ShaderSink | null = null;

function environmentAsks(): boolean {
  return typeof process !== 'undefined' && process.env?.STEERLM_PRINT_WGSL === '1';
}

/** Turns WGSL printing on (true → console.error, or a custom sink) or off; returns the previous sink. */
export function setPrintWGSL(on: boolean | ShaderSink): ShaderSink | null {
  const previous = sink;
  sink = on === true ? (key, source) => console.error(`// ---- WGSL ${key} ----\n${source}`) : on === false ? null : on;
  return previous;
}

/** Returns the sink WGSL should go to now (null when printing is off). */
export function activeShaderSink(): ShaderSink | null {
  if (sink !== null) return sink;
  return environmentAsks() ? (key, source) => console.error(`// ---- WGSL ${key} ----\n${source}`) : null;
}
