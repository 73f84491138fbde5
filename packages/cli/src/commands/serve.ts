import { once } from 'node:events';
import { defineCommand } from '../cli';
import { loadLanguageModel, resolveModelSteering } from '../models';
import { startSteeringServer } from '../server';
import { MODEL_OPTIONS, modelLoadOptions } from './model-options';

/** `steerlm serve`: the OpenAI-compatible steering server and its playground. */
export const serveCommand = defineCommand({
  name: 'serve',
  summary: 'serve a model over an OpenAI-compatible API with steering attributes, plus a playground page',
  stopsOnSignal: true,
  options: {
    ...MODEL_OPTIONS,
    host: { kind: 'string', default: '127.0.0.1', description: 'the interface to bind; any non-loopback one needs --api-key' },
    port: { kind: 'integer', min: 0, default: 8000, description: 'the port (0 picks a free one)' },
    'api-key': { kind: 'string', valueName: 'SECRET', description: 'require "Authorization: Bearer SECRET" on /v1 routes (or set STEERLM_API_KEY)' },
    cors: { kind: 'string', valueName: 'ORIGIN', description: 'allow browser calls from this origin (CORS is off without it)' },
    'allowed-hosts': {
      kind: 'string',
      valueName: 'NAMES',
      description: 'comma-separated host names clients may call the server by, besides the loopback ones (Host header check; * for any)',
    },
    concurrency: { kind: 'integer', min: 1, default: 16, description: 'requests generating at once' },
    'batch-rows': {
      kind: 'integer',
      min: 0,
      default: 32,
      description:
        'model folders: the rows of the one decode batch (on either engine) that requests join and leave at token boundaries (continuous batching; guided requests take several); 0 decodes each request alone',
    },
    'decode-thread': {
      kind: 'string',
      choices: ['worker', 'main'] as const,
      default: 'worker',
      description:
        'model folders on the onnxruntime engine: run the decode in a worker thread (default), so the server streams tokens and reads requests while a step computes, or on the main thread',
    },
    queue: { kind: 'integer', min: 0, default: 8, description: 'requests waiting for a slot; beyond this new ones get 429' },
    'max-tokens': { kind: 'integer', min: 1, default: 512, description: 'the largest max_tokens a request may ask for (and the default)' },
    'max-prompt-characters': { kind: 'integer', min: 1, default: 32_768, description: 'the largest prompt in characters' },
    'max-body-bytes': { kind: 'integer', min: 1024, default: 262_144, description: 'the largest request body' },
    'max-header-bytes': { kind: 'integer', min: 1024, default: 16_384, description: 'the largest request head; larger ones get 431' },
    'receive-timeout': { kind: 'integer', min: 1, default: 30, valueName: 'SECONDS', description: 'seconds a client has to send a whole request; then 408' },
    'idle-timeout': { kind: 'integer', min: 1, default: 5, valueName: 'SECONDS', description: 'seconds an idle keep-alive connection stays open' },
    'request-timeout': { kind: 'integer', min: 1, default: 120, valueName: 'SECONDS', description: 'seconds a request may take, queue included' },
    'shutdown-grace': { kind: 'integer', min: 0, default: 30, valueName: 'SECONDS', description: 'seconds in-flight requests get to finish on SIGTERM' },
    'word-delay': { kind: 'integer', min: 0, default: 0, valueName: 'MS', description: 'attribute-echo only: milliseconds per streamed word' },
    'no-playground': { kind: 'boolean', description: 'do not serve the playground page at /' },
  },
  details: `Routes: POST /v1/chat/completions, POST /v1/completions (stream: true for SSE), GET /v1/models,
GET /v1/steerlm/schema, GET /health, GET / (playground). Steer with "steerlm": { "attributes": { "humor": 4 } }.
Stops on SIGTERM/SIGINT after in-flight requests finish (exit 0). On a loopback interface requests must call
it by a loopback name (or one --allowed-hosts adds), browser pages of other origins are refused, and POST
bodies must be application/json. See docs/server-api.md.

Example:
  steerlm serve --model runs/sft/final --port 8000
  steerlm serve --model attribute-echo --port 0 --json    # prints {"url": …} once listening`,
  async run(values, _positionals, context) {
    const { schema, template, description } = await resolveModelSteering(values.model, values.schema, { onProgress: context.progress });
    const loaded = await loadLanguageModel(values.model, {
      onProgress: context.progress,
      wordDelayMs: values['word-delay'],
      ...modelLoadOptions(values),
      ...(values['batch-rows'] > 0 ? { continuousBatching: { maxRows: values['batch-rows'] } } : {}),
      onnxruntime: { worker: values['decode-thread'] === 'worker' },
    });
    const apiKey = values['api-key'] ?? process.env.STEERLM_API_KEY;
    const server = await startSteeringServer({
      model: loaded.model,
      // Clients may name the model by its id (the folder's name) or by the path serve was given.
      modelAliases: [values.model, values.model.replace(/\/+$/, '')],
      schema,
      template,
      host: values.host,
      port: values.port,
      ...(apiKey ? { apiKey } : {}),
      ...(values.cors !== undefined ? { corsOrigin: values.cors } : {}),
      ...(values['allowed-hosts'] !== undefined
        ? {
            allowedHosts: values['allowed-hosts']
              .split(',')
              .map((name) => name.trim())
              .filter((name) => name !== ''),
          }
        : {}),
      maxHeaderBytes: values['max-header-bytes'],
      receiveTimeoutMs: values['receive-timeout'] * 1000,
      idleTimeoutMs: values['idle-timeout'] * 1000,
      maxConcurrent: values.concurrency,
      maxQueued: values.queue,
      maxTokens: values['max-tokens'],
      maxPromptCharacters: values['max-prompt-characters'],
      maxBodyBytes: values['max-body-bytes'],
      requestTimeoutMs: values['request-timeout'] * 1000,
      playground: values['no-playground'] !== true,
      log: (line) => context.stderr.write(`${new Date().toISOString()} ${line}\n`),
    });
    const started = { url: server.url, openaiBaseURL: `${server.url}/v1`, model: loaded.model.modelId, backend: loaded.backend, device: loaded.device };
    if (context.json) context.stdout.write(`${JSON.stringify(started)}\n`); // the line tools wait for
    context.note(`model ${loaded.model.modelId} · backend ${loaded.backend} · ${loaded.device} · engine ${loaded.engine}`);
    context.note(`schema ${description} · template ${template.name}`);
    const local = loaded.engine === 'tfjs' || loaded.engine === 'onnxruntime';
    const thread = loaded.engine === 'onnxruntime' ? ` (decoding on the ${values['decode-thread']} thread)` : '';
    const batching = !local || values['batch-rows'] === 0 ? '' : `, continuous batching of ${values['batch-rows']} rows on ${loaded.engine}${thread}`;
    context.note(
      `OpenAI-compatible API at ${server.url}/v1 (concurrency ${values.concurrency}, queue ${values.queue}${batching})${apiKey ? ', API key required' : ''}`,
    );
    if (values['no-playground'] !== true) context.note(`playground at ${server.url}/`);
    if (!context.signal.aborted) await once(context.signal, 'abort');
    context.note('shutting down: finishing requests in flight…');
    await server.close({ graceMs: values['shutdown-grace'] * 1000 });
    context.note('stopped');
    return { ...started, stopped: true };
  },
});
