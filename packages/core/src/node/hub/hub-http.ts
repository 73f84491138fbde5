import { HubError, type HubErrorReason } from '../../errors';

/** What a request is for, to word its errors. */
export interface HubRequestContext {
  readonly repo: string;
  readonly revision: string;
  /** The repo file asked for, when a file is. */
  readonly file?: string;
  readonly token: string | undefined;
  readonly endpoint: string;
}

/** How long a request may wait for the Hub's answer (its headers; not the body), as huggingface_hub's etag timeout but roomier. */
const HEADERS_TIMEOUT_MS = 30_000;

/** Returns `fetch(url)` following up to 10 redirects by hand: the token goes to the Hub's own origin only, never to a CDN. */
export async function hubFetch(
  url: string,
  init: { method?: 'GET' | 'HEAD'; headers?: Record<string, string>; signal?: AbortSignal },
  context: HubRequestContext,
  fetchImpl: typeof fetch = fetch,
): Promise<Response> {
  const origin = new URL(context.endpoint).origin;
  let current = new URL(url);
  for (let hop = 0; hop <= 10; hop++) {
    const headers: Record<string, string> = { ...init.headers };
    if (context.token !== undefined && current.origin === origin) headers.authorization = `Bearer ${context.token}`;
    let response: Response;
    // The answer's headers must come within HEADERS_TIMEOUT_MS; the body may take as long as it needs.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(init.signal?.reason);
    init.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${HEADERS_TIMEOUT_MS / 1000} s`)), HEADERS_TIMEOUT_MS);
    try {
      response = await fetchImpl(current, { method: init.method ?? 'GET', headers, redirect: 'manual', signal: controller.signal });
    } catch (cause) {
      init.signal?.removeEventListener('abort', onAbort);
      if (init.signal?.aborted) throw cause;
      throw new HubError(`cannot reach the Hugging Face Hub at ${current.origin} for ${context.repo}: ${describeCause(cause)}`, {
        reason: 'network',
        repo: context.repo,
        revision: context.revision,
        url: current.href,
        cause,
        hint: 'check the connection and HF_ENDPOINT; set HF_HUB_OFFLINE=1 to use only what is in the cache',
      });
    } finally {
      // The abort listener stays: aborting the caller's signal also stops the body being read.
      clearTimeout(timer);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel();
      current = new URL(location, current);
      continue;
    }
    return response;
  }
  throw new HubError(`too many redirects for ${url}`, { reason: 'bad-response', repo: context.repo, revision: context.revision, url });
}

function describeCause(cause: unknown): string {
  const error = cause as Error & { cause?: { code?: string; message?: string } };
  return error.cause?.code ?? error.cause?.message ?? error.message ?? String(cause);
}

/** Returns the HubError for a failed Hub answer: what failed, for which repo, revision and file, and what to do. */
export async function hubResponseError(response: Response, context: HubRequestContext): Promise<HubError> {
  const code = response.headers.get('x-error-code') ?? '';
  const serverMessage = response.headers.get('x-error-message') ?? (await response.text().catch(() => '')).slice(0, 300);
  const where = `${context.repo}@${context.revision}`;
  const base = { repo: context.repo, revision: context.revision, status: response.status, url: response.url || undefined };
  const make = (reason: HubErrorReason, message: string, hint: string): HubError =>
    new HubError(`${message} (HTTP ${response.status}${serverMessage ? `: ${serverMessage.trim()}` : ''})`, { ...base, reason, hint });
  if (code === 'GatedRepo' || (response.status === 403 && /gated/i.test(serverMessage))) {
    return make(
      'gated',
      `${context.repo} is a gated model`,
      `accept its conditions on ${context.endpoint}/${context.repo} and set HF_TOKEN to a token of that account`,
    );
  }
  if (response.status === 401 || response.status === 403) {
    return context.token === undefined
      ? make(
          'unauthorized',
          `${context.repo} is private or does not exist, and no token was sent`,
          `set HF_TOKEN to a token with read access (${context.endpoint}/settings/tokens), or check the spelling of the id`,
        )
      : make('unauthorized', `the Hub refused the token for ${context.repo}`, 'check that HF_TOKEN holds a valid token with read access to this repo');
  }
  if (response.status === 404) {
    if (code === 'RevisionNotFound')
      return make(
        'revision-not-found',
        `${context.repo} has no revision "${context.revision}"`,
        `give an existing branch, tag or commit after "@" (e.g. ${context.repo}@main)`,
      );
    if (code === 'EntryNotFound' || (context.file !== undefined && code !== 'RepoNotFound'))
      return make(
        'file-not-found',
        `${where} has no file ${context.file ?? ''}`.trim(),
        `is ${context.repo} a model repo with this file? see ${context.endpoint}/${context.repo}/tree/${context.revision}`,
      );
    return make(
      'repo-not-found',
      `the Hub has no model ${context.repo}`,
      `check the id on ${context.endpoint}/${context.repo}; a private repo also needs HF_TOKEN`,
    );
  }
  return make(
    'bad-response',
    `the Hub answered ${response.status} for ${where}${context.file ? ` ${context.file}` : ''}`,
    'try again later; set HF_HUB_OFFLINE=1 to use the cache',
  );
}
