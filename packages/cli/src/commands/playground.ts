import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from '../cli';
import { servePlaygroundFolder, writePlaygroundFolder } from '../playground';

/** `steerlm playground`: the playground as a static page that runs an exported model in the browser. */
export const playgroundCommand = defineCommand({
  name: 'playground',
  summary: 'write (--out) or serve the static playground, which runs an exported model folder inside the browser (no model server)',
  stopsOnSignal: true,
  options: {
    out: { kind: 'string', valueName: 'DIR', description: 'write the static playground into DIR and exit (unless --port is given too)' },
    host: { kind: 'string', default: '127.0.0.1', description: 'the interface to serve on' },
    port: { kind: 'integer', min: 0, description: 'serve the playground on this port (0 picks a free one); the default without --out is 8080' },
  },
  details: `The page lets you pick a folder written by "steerlm export --format onnx" (config.json, tokenizer.json,
onnx/model.onnx, and the steerlm.json that records the attribute schema) and steers it in the page with
onnxruntime-web: WebGPU where the browser has it, else WebAssembly. Nothing is uploaded. The folder is plain
static files; any static server works (pages must come over http(s), not file://), ours also sends the
cross-origin isolation headers that let WebAssembly use several threads.

Examples:
  steerlm playground --out site/playground                  # then serve site/ with any static server
  steerlm playground --port 8080                            # serve it at http://127.0.0.1:8080/`,
  async run(values, _positionals, context) {
    const serveIt = values.out === undefined || values.port !== undefined;
    const folder = values.out ?? (await mkdtemp(join(tmpdir(), 'steerlm-playground-')));
    try {
      const files = await writePlaygroundFolder(folder);
      if (!serveIt) {
        context.note(`wrote the playground to ${folder} (${files.join(', ')}); serve the folder with any static file server`);
        return { out: folder, files };
      }
      const server = await servePlaygroundFolder(folder, { host: values.host, port: values.port ?? 8080 });
      if (context.json) context.stdout.write(`${JSON.stringify({ url: server.url, ...(values.out !== undefined ? { out: folder } : {}) })}\n`);
      context.note(`playground at ${server.url} (pick an exported model folder in the page; Ctrl-C stops)`);
      if (!context.signal.aborted) await once(context.signal, 'abort');
      await server.close();
      context.note('stopped');
      return { url: server.url, files, stopped: true };
    } finally {
      if (values.out === undefined) await rm(folder, { recursive: true, force: true });
    }
  },
});
