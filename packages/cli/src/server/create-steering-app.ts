import { timingSafeEqual } from 'node:crypto';
import { STEERLM, steerlmTemplate, type AttributeSchema, type LanguageModel, type PromptTemplate } from '@steerlm/core';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { answerGeneration, type GenerationServices } from './answer-generation';
import { answerScoredCompletion, needsScoredCompletion } from './answer-scored-completion';
import { playgroundPage } from './playground-page';
import { prepareChatRequest, prepareCompletionRequest, type SteeringContext } from './prepare-generation';
import { hostAndOriginGuard, jsonContentTypeGuard } from './request-guards';
import { RequestScheduler } from './request-scheduler';
import { chatCompletionRequestSchema, completionRequestSchema, parseRequestBody, type RequestLimits } from './request-schemas';
import { errorResponse, ServerRequestError } from './server-request-error';

/** Settings of a steering server's routes (the HTTP listener's own settings live in `startSteeringServer`). */
export interface SteeringAppOptions {
  /** Any core LanguageModel: a LocalLanguageModel over a model folder, a remote model, a test model. */
  readonly model: LanguageModel;
  /** The model name clients see in `/v1/models` and responses (default: the model's modelId). */
  readonly modelId?: string;
  /**
   * Other names a request's `model` may give (e.g. the model folder path `steerlm serve --model` was
   * given); any other name gets 404, as OpenAI answers. A request without `model` is served.
   */
  readonly modelAliases?: readonly string[];
  /** The attributes requests may steer (default: STEERLM). */
  readonly schema?: AttributeSchema;
  /** The chat format prompts are rendered with (default: the SteerLM template). */
  readonly template?: PromptTemplate;
  /** When set, every `/v1` route needs `Authorization: Bearer <apiKey>`. */
  readonly apiKey?: string;
  /** An origin allowed to call the API from a browser (CORS is off without it). */
  readonly corsOrigin?: string;
  /**
   * When set, requests must name the server in their Host header by a loopback name or one of these
   * (`*`: any), and a browser Origin must be the server's own or `corsOrigin` (DNS rebinding, CSRF);
   * `startSteeringServer` sets it for a loopback listener.
   */
  readonly allowedHosts?: readonly string[];
  /** Requests generating at once (default 2). */
  readonly maxConcurrent?: number;
  /** Requests waiting for a slot before new ones get 429 (default 8). */
  readonly maxQueued?: number;
  /** Milliseconds from a request's arrival to its last token (default 120000). */
  readonly requestTimeoutMs?: number;
  /** The largest max_tokens a request may ask for, and the default (default 512). */
  readonly maxTokens?: number;
  /** The largest prompt in characters (default 32768). */
  readonly maxPromptCharacters?: number;
  /** The largest request body in bytes (default 262144). */
  readonly maxBodyBytes?: number;
  /** Serve the playground page at `/` (default true). */
  readonly playground?: boolean;
  /** Receives one line per failed request (default: stderr). */
  readonly log?: (line: string) => void;
}

/** A steering server's routes and the state a listener needs to shut down cleanly. */
export interface SteeringApp {
  readonly app: Hono;
  readonly scheduler: RequestScheduler;
  /** Abort controllers of the requests in flight. */
  readonly inflight: Set<AbortController>;
  /** After this, new requests get 503 while those in flight finish. */
  startDraining(): void;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readJson(context: Context): Promise<unknown> {
  const text = await context.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ServerRequestError(`the request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, {
      status: 400,
      hint: 'send a JSON object with Content-Type: application/json',
    });
  }
}

/** Returns the hono app of an OpenAI-compatible steering server over `options.model`. */
export function createSteeringApp(options: SteeringAppOptions): SteeringApp {
  const schema = options.schema ?? STEERLM;
  const template = options.template ?? steerlmTemplate;
  const limits: RequestLimits = { maxTokens: options.maxTokens ?? 512, maxPromptCharacters: options.maxPromptCharacters ?? 32_768 };
  const context: SteeringContext = { schema, template, limits };
  const scheduler = new RequestScheduler({ maxConcurrent: options.maxConcurrent ?? 2, maxQueued: options.maxQueued ?? 8 });
  const inflight = new Set<AbortController>();
  const modelId = options.modelId ?? options.model.modelId;
  const services: GenerationServices = {
    model: options.model,
    modelId,
    scheduler,
    inflight,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
  };
  const servedNames = new Set([modelId, ...(options.modelAliases ?? [])]);
  const checkModelName = (name: string | undefined): void => {
    if (name === undefined || servedNames.has(name)) return;
    throw new ServerRequestError(`the model "${name}" does not exist; this server serves "${modelId}"`, {
      status: 404,
      param: 'model',
      code: 'model_not_found',
      hint: `send "model": "${modelId}" (GET /v1/models lists it)`,
    });
  };
  const chatSchema = chatCompletionRequestSchema(limits);
  const completionSchema = completionRequestSchema(limits);
  const maxBodyBytes = options.maxBodyBytes ?? 262_144;
  let draining = false;

  const app = new Hono();
  app.onError((error) => errorResponse(error));
  app.notFound((c) =>
    errorResponse(
      new ServerRequestError(`no route ${c.req.method} ${new URL(c.req.url).pathname}`, { status: 404, hint: 'see docs/server-api.md for the routes' }),
    ),
  );
  if (options.allowedHosts !== undefined) {
    app.use('*', hostAndOriginGuard({ allowedHosts: options.allowedHosts, ...(options.corsOrigin !== undefined ? { corsOrigin: options.corsOrigin } : {}) }));
  }
  if (options.corsOrigin !== undefined) {
    app.use('*', cors({ origin: options.corsOrigin, allowHeaders: ['authorization', 'content-type'], allowMethods: ['GET', 'POST', 'OPTIONS'] }));
  }
  app.use('/v1/*', async (c, next) => {
    if (draining) {
      return errorResponse(new ServerRequestError('the server is shutting down', { status: 503, type: 'server_error', headers: { connection: 'close' } }));
    }
    if (options.apiKey !== undefined) {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer (.+)$/.exec(header);
      if (!match || !sameSecret(match[1]!, options.apiKey)) {
        return errorResponse(
          new ServerRequestError(header ? 'the API key is wrong' : 'this server needs an API key', {
            status: 401,
            type: 'authentication_error',
            headers: { connection: 'close' }, // the body is not read
            hint: 'send the header "Authorization: Bearer <key>" with the key the server was started with',
          }),
        );
      }
    }
    await next();
  });
  app.use('/v1/*', jsonContentTypeGuard);
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: () =>
        errorResponse(
          new ServerRequestError(`the request body is over this server's limit of ${maxBodyBytes} bytes`, {
            status: 413,
            hint: 'send a shorter conversation, or start the server with a larger --max-body-bytes',
            // The rest of the body is not read: close the connection rather than leave it out of step.
            headers: { connection: 'close' },
          }),
        ),
    }),
  );

  app.get('/health', (c) => c.json({ status: draining ? 'draining' : 'ok', model: modelId, active: scheduler.active, queued: scheduler.queued }));
  app.get('/v1/models', (c) => c.json({ object: 'list', data: [{ id: modelId, object: 'model', created: 0, owned_by: 'steerlm' }] }));
  app.get('/v1/models/:id', (c) => {
    checkModelName(c.req.param('id'));
    return c.json({ id: modelId, object: 'model', created: 0, owned_by: 'steerlm' });
  });
  app.get('/v1/steerlm/schema', (c) =>
    c.json({
      model: modelId,
      template: template.name,
      attributes: schema.attributes.map((definition) => ({
        name: definition.name,
        min: definition.min,
        max: definition.max,
        default: definition.default ?? null,
        description: definition.description ?? null,
      })),
      limits: { max_tokens: limits.maxTokens, max_prompt_characters: limits.maxPromptCharacters },
    }),
  );
  app.post('/v1/chat/completions', async (c) => {
    const request = parseRequestBody(chatSchema, await readJson(c));
    checkModelName(request.model);
    return answerGeneration('chat', prepareChatRequest(request, context), services, c.req.raw.signal);
  });
  app.post('/v1/completions', async (c) => {
    const request = parseRequestBody(completionSchema, await readJson(c));
    checkModelName(request.model);
    if (needsScoredCompletion(request, options.model))
      return answerScoredCompletion(request, prepareCompletionRequest(request, context), services, c.req.raw.signal);
    return answerGeneration('completion', prepareCompletionRequest(request, context), services, c.req.raw.signal);
  });
  if (options.playground !== false) {
    const page = playgroundPage({ modelId, needsApiKey: options.apiKey !== undefined });
    app.get('/', (c) =>
      c.html(page, 200, {
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
        'x-content-type-options': 'nosniff',
      }),
    );
  }

  return {
    app,
    scheduler,
    inflight,
    startDraining: () => {
      draining = true;
    },
  };
}
