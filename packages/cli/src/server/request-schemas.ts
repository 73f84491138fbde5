import { z } from 'zod';
import { ServerRequestError } from './server-request-error';

/** The limits a steering server enforces on every generation request. */
export interface RequestLimits {
  /** The largest `max_tokens` a request may ask for (and the default when it asks for none). */
  readonly maxTokens: number;
  /** The largest prompt, in characters (all messages together). */
  readonly maxPromptCharacters: number;
}

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });
const messageContent = z.union([z.string(), z.array(textPart).min(1)]);

const chatMessage = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: messageContent,
  name: z.string().max(64).optional(),
});

/** The largest steering strength a request may ask for (either sign). */
export const MAX_GUIDANCE_SCALE = 10;

const guidanceScale = z.number().min(-MAX_GUIDANCE_SCALE).max(MAX_GUIDANCE_SCALE);

const steerlmField = z.strictObject({
  /** Attribute values by name (fractional ones interpolate); validated against the server's schema afterwards. */
  attributes: z.record(z.string(), z.number()).optional(),
  /** Attribute guidance: a scale, or { scale, neutral: baseline attribute values }. */
  guidance: z.union([guidanceScale, z.strictObject({ scale: guidanceScale, neutral: z.record(z.string(), z.number()).optional() })]).optional(),
  /** Raw completions only: more prompts whose logits are mixed in (what core's createOpenAICompatibleModel sends for GenerateOptions.mixPrompts). */
  mix_prompts: z
    .array(z.strictObject({ prompt: z.string(), weight: z.number().min(-100).max(100) }))
    .max(16)
    .optional(),
});

function samplingFields(limits: RequestLimits) {
  return {
    model: z.string().max(256).optional(),
    max_tokens: z.int().min(1).max(limits.maxTokens).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().gt(0).max(1).nullable().optional(),
    top_k: z.int().min(0).nullable().optional(),
    repetition_penalty: z.number().gt(0).max(10).nullable().optional(),
    seed: z.int().nullable().optional(),
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).max(4)])
      .nullable()
      .optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullable().optional(),
    n: z.literal(1).nullable().optional(),
    user: z.string().max(256).optional(),
    steerlm: steerlmField.optional(),
  };
}

/** Returns the zod schema of a `/v1/chat/completions` body under `limits`. */
export function chatCompletionRequestSchema(limits: RequestLimits) {
  return z.strictObject({
    ...samplingFields(limits),
    max_completion_tokens: z.int().min(1).max(limits.maxTokens).nullable().optional(),
    messages: z.array(chatMessage).min(1),
  });
}

/** Returns the zod schema of a `/v1/completions` body under `limits`. */
export function completionRequestSchema(limits: RequestLimits) {
  return z.strictObject({
    ...samplingFields(limits),
    // 0 only with echo: the prompt scored, nothing generated (checked in answer-scored-completion.ts).
    max_tokens: z.int().min(0).max(limits.maxTokens).nullable().optional(),
    prompt: z.union([z.string(), z.array(z.string()).length(1)]),
    echo: z.boolean().nullable().optional(),
    logprobs: z.int().min(0).max(5, 'must be at most 5 (OpenAI reports up to 5 most likely tokens per position)').nullable().optional(),
  });
}

export type ChatCompletionRequest = z.infer<ReturnType<typeof chatCompletionRequestSchema>>;
export type CompletionRequest = z.infer<ReturnType<typeof completionRequestSchema>>;
export type ChatMessageInput = z.infer<typeof chatMessage>;

function describePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`), '');
}

/**
 * Returns the parsed body when it fits `schema`; otherwise throws a 400 ServerRequestError that names
 * the first offending field and what it must be.
 */
export function parseRequestBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.infer<Schema> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ServerRequestError('the request body must be a JSON object', { status: 400 });
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const issue = issues.find((candidate) => candidate.code === 'unrecognized_keys') ?? issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const where = describePath(issue.path);
    const names = issue.keys.map((key) => JSON.stringify(key)).join(', ');
    throw new ServerRequestError(`unknown field${issue.keys.length > 1 ? 's' : ''} ${names}${where ? ` in ${where}` : ' in the request body'}`, {
      status: 400,
      param: where ? `${where}.${issue.keys[0]}` : issue.keys[0]!,
      hint: 'remove it; this server supports the OpenAI fields it documents plus "steerlm": { "attributes": { … }, "guidance": … }',
    });
  }
  const where = describePath(issue.path);
  throw new ServerRequestError(`${where || 'request body'}: ${issue.message}`, { status: 400, ...(where ? { param: where } : {}) });
}
