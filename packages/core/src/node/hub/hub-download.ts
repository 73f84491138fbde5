import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HubError } from '../../errors';
import { sleep } from '../../remote/sleep';
import type { ProgressListener } from '../../spec/progress-events';
import { ProgressTracker } from '../../spec/progress-tracker';
import { HubCacheFolder } from './hub-cache';
import { hubFetch, hubResponseError, type HubRequestContext } from './hub-http';
import { isCommitHash } from './hub-model-id';
import { hubSettings, type HubSettingsOptions } from './hub-settings';

/**
 * Which files of a repo to fetch: loading a model needs a few of them, never the whole repo. Any
 * selected `*.safetensors.index.json` also brings the shards its weight_map names.
 */
export interface HubFileSelection {
  /** Files the repo must have. */
  readonly required?: readonly string[];
  /** Groups of alternatives: the first file of each group that the repo has is fetched; a group with none is an error. */
  readonly oneOf?: readonly (readonly string[])[];
  /** Files fetched when the repo has them. */
  readonly optional?: readonly string[];
}

/** What loading a decoder needs: config.json, the safetensors weights (single or sharded), generation_config.json and steerlm.json. */
export const HUB_MODEL_FILES: HubFileSelection = Object.freeze({
  required: ['config.json'],
  oneOf: [['model.safetensors', 'model.safetensors.index.json']],
  optional: ['generation_config.json', 'steerlm.json'],
});

/** What loading a tokenizer needs: tokenizer.json, and tokenizer_config.json and special_tokens_map.json when present. */
export const HUB_TOKENIZER_FILES: HubFileSelection = Object.freeze({
  required: ['tokenizer.json'],
  optional: ['tokenizer_config.json', 'special_tokens_map.json'],
});

/** Returns one selection holding the files of all of `selections`. */
export function mergeHubFileSelections(...selections: readonly HubFileSelection[]): HubFileSelection {
  return {
    required: [...new Set(selections.flatMap((selection) => selection.required ?? []))],
    oneOf: selections.flatMap((selection) => selection.oneOf ?? []),
    optional: [...new Set(selections.flatMap((selection) => selection.optional ?? []))],
  };
}

/** Options of {@link downloadHubSnapshot}; unset settings come from HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME and HF_HUB_OFFLINE. */
export interface HubDownloadOptions extends HubSettingsOptions {
  /** A branch, tag or commit (default `main`). */
  revision?: string;
  /** The files to fetch (default: {@link HUB_MODEL_FILES}). */
  files?: HubFileSelection;
  /** Receives a `download org/name` job counting bytes (job-start's detail names the repo, commit and files). */
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Times a cut download is resumed within this call (default 5); a later call resumes too, from the .incomplete file. */
  retries?: number;
  /** The fetch to use (default the global one). */
  fetch?: typeof fetch;
}

/** A snapshot folder in the cache holding the selected files. */
export interface HubSnapshot {
  readonly repo: string;
  /** The revision asked for. */
  readonly revision: string;
  /** The commit it resolved to. */
  readonly commit: string;
  /** `<cache>/models--org--name/snapshots/<commit>`: load from here. */
  readonly folder: string;
  /** The selected files (repo paths). */
  readonly files: readonly string[];
  /** Bytes fetched by this call (0 on a cache hit). */
  readonly downloadedBytes: number;
  /** How the files were found: all from the cache without asking the Hub, from the cache after asking which commit, or (partly) downloaded. */
  readonly source: 'cache' | 'cache-checked' | 'download';
}

/** An entry of the Hub's tree API. */
interface TreeEntry {
  type: string;
  path: string;
  size: number;
  oid: string;
  lfs?: { oid: string; size: number };
}

interface Selected {
  readonly files: string[];
  readonly missing: string[];
}

function select(selection: HubFileSelection, available: ReadonlySet<string>): Selected {
  const files: string[] = [];
  const missing: string[] = [];
  for (const file of selection.required ?? []) (available.has(file) ? files : missing).push(file);
  for (const group of selection.oneOf ?? []) {
    const found = group.find((file) => available.has(file));
    if (found !== undefined) files.push(found);
    else missing.push(`one of ${group.join(', ')}`);
  }
  for (const file of selection.optional ?? []) if (available.has(file)) files.push(file);
  return { files: [...new Set(files)], missing };
}

/** The shard files a safetensors index names, in order of first use. */
async function indexShards(indexPath: string, repoFile: string, repo: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map?: Record<string, unknown> };
    const prefix = repoFile.includes('/') ? repoFile.slice(0, repoFile.lastIndexOf('/') + 1) : '';
    return [...new Set(Object.values(parsed.weight_map ?? {}).map((shard) => `${prefix}${String(shard)}`))];
  } catch (cause) {
    throw new HubError(`${repoFile} of ${repo} is not a valid safetensors index`, { reason: 'bad-response', repo, file: indexPath, cause });
  }
}

function describeMissing(missing: readonly string[], available: Iterable<string>): string {
  const files = [...available].filter((file) => !file.includes('/')).slice(0, 12);
  return `missing ${missing.join('; ')} (the repo has: ${files.join(', ')}${files.length === 12 ? ', …' : ''})`;
}

function missingHint(missing: readonly string[], available: ReadonlySet<string>): string {
  if (missing.some((file) => file.includes('safetensors'))) {
    return [...available].some((file) => file.endsWith('.bin'))
      ? 'the repo has PyTorch .bin weights only; steerlm reads safetensors: convert them (e.g. the Hub\'s "Convert to safetensors" space) or pick a repo with model.safetensors'
      : 'steerlm loads Llama- and GPT-2-family decoders stored as safetensors; pick such a repo';
  }
  return 'is this the right repo, and a model repo with a tokenizer.json (transformers format)?';
}

/**
 * Returns a cache snapshot of `repo` holding the files `options.files` selects, downloading what the
 * cache lacks into the Hugging Face cache layout that Python's huggingface_hub uses (blobs by etag,
 * refs, snapshots of symlinks). A pinned commit whose files are cached makes no request; a branch or
 * tag asks the Hub once which commit it is at (and falls back to the cache when the Hub cannot be
 * reached). Downloads resume from `blobs/<etag>.incomplete` with an HTTP Range, and every file is
 * checked against the Hub's hash (sha256 of LFS files, the git blob id of the others).
 * `HF_HUB_OFFLINE=1` (or `offline: true`) uses the cache only.
 */
export async function downloadHubSnapshot(repo: string, options: HubDownloadOptions = {}): Promise<HubSnapshot> {
  const settings = hubSettings(options);
  const revision = options.revision ?? 'main';
  const selection = options.files ?? HUB_MODEL_FILES;
  const cache = new HubCacheFolder(settings.cacheDir, repo);
  const context: HubRequestContext = { repo, revision, token: settings.token, endpoint: settings.endpoint };
  const fetchImpl = options.fetch ?? fetch;

  const fromCache = async (commit: string): Promise<{ files: string[]; missing: string[] }> => {
    const listing = new Set(await cache.listSnapshot(commit));
    const { files, missing } = select(selection, listing);
    for (const file of files.filter((name) => name.endsWith('.safetensors.index.json'))) {
      for (const shard of await indexShards(cache.snapshotPath(commit, file), file, repo)) {
        if (listing.has(shard)) files.push(shard);
        else missing.push(shard);
      }
    }
    return { files, missing };
  };
  const cachedCommit = async (): Promise<string | undefined> => (isCommitHash(revision) ? revision : await cache.readRef(revision));

  if (settings.offline) {
    const commit = await cachedCommit();
    if (commit === undefined) {
      throw new HubError(`HF_HUB_OFFLINE is set and the cache has no revision "${revision}" of ${repo}`, {
        reason: 'offline',
        repo,
        revision,
        file: cache.folder,
        hint: `download it once online (unset HF_HUB_OFFLINE), or point HF_HUB_CACHE at the cache that holds it (now ${settings.cacheDir})`,
      });
    }
    const { files, missing } = await fromCache(commit);
    if (missing.length > 0) {
      throw new HubError(`HF_HUB_OFFLINE is set and the cached ${repo}@${revision} lacks ${missing.join(', ')}`, {
        reason: 'offline',
        repo,
        revision,
        file: cache.snapshotFolder(commit),
        hint: 'download it once online (unset HF_HUB_OFFLINE)',
      });
    }
    return { repo, revision, commit, folder: cache.snapshotFolder(commit), files, downloadedBytes: 0, source: 'cache' };
  }

  // A pinned commit already in the cache: no request at all.
  if (isCommitHash(revision)) {
    const cached = await fromCache(revision);
    if (cached.missing.length === 0) {
      return { repo, revision, commit: revision, folder: cache.snapshotFolder(revision), files: cached.files, downloadedBytes: 0, source: 'cache' };
    }
  }

  let commit: string;
  try {
    commit = await resolveCommit(context, fetchImpl, options.signal);
  } catch (error) {
    // The Hub cannot be reached: use the cached snapshot of this revision when it is complete, as huggingface_hub does.
    if (!HubError.isInstance(error) || error.reason !== 'network') throw error;
    const fallback = await cachedCommit();
    const cached = fallback !== undefined ? await fromCache(fallback) : undefined;
    if (fallback === undefined || cached === undefined || cached.missing.length > 0) throw error;
    try {
      options.onProgress?.({
        type: 'warning',
        job: `download ${repo}`,
        message: `the Hub cannot be reached (${error.message}); using the cached ${repo}@${revision} (${fallback.slice(0, 10)})`,
      });
    } catch {
      // A listener's failure must not break the download it observes.
    }
    return { repo, revision, commit: fallback, folder: cache.snapshotFolder(fallback), files: cached.files, downloadedBytes: 0, source: 'cache' };
  }
  const cached = await fromCache(commit);
  if (cached.missing.length === 0) {
    // Everything is cached: recording the ref is best-effort, so a read-only shared cache still serves.
    await cache.writeRef(revision, commit).catch(() => undefined);
    return { repo, revision, commit, folder: cache.snapshotFolder(commit), files: cached.files, downloadedBytes: 0, source: 'cache-checked' };
  }

  await cache.writeRef(revision, commit);
  const tree = new Map((await listTree(context, commit, fetchImpl, options.signal)).map((entry) => [entry.path, entry]));
  const available = new Set(tree.keys());
  const { files, missing } = select(selection, available);
  if (missing.length > 0) {
    throw new HubError(`${repo}@${revision} is ${describeMissing(missing, available)}`, {
      reason: 'file-not-found',
      repo,
      revision,
      url: `${settings.endpoint}/${repo}/tree/${revision}`,
      hint: missingHint(missing, available),
    });
  }
  const fetcher = new BlobFetcher(cache, context, commit, fetchImpl, options.retries ?? 5, options.signal);
  // Indexes first (small), so that their shards join the plan and the progress total.
  for (const file of files.filter((name) => name.endsWith('.safetensors.index.json'))) {
    await fetcher.fetch(tree.get(file)!);
    for (const shard of await indexShards(cache.snapshotPath(commit, file), file, repo)) {
      if (!tree.has(shard)) {
        throw new HubError(`${repo}@${revision}: ${file} names the shard ${shard}, which the repo does not have`, {
          reason: 'file-not-found',
          repo,
          revision,
          hint: 'the repo is inconsistent; pick another revision',
        });
      }
      files.push(shard);
    }
  }
  const plan: TreeEntry[] = [];
  for (const file of files) if (!(await cache.exists(cache.snapshotPath(commit, file)))) plan.push(tree.get(file)!);
  const total = plan.reduce((sum, entry) => sum + entry.size, 0);
  const progress = new ProgressTracker(`download ${repo}`, {
    total,
    unit: 'bytes',
    detail: { repo, revision, commit, files: plan.map((entry) => entry.path) },
    listeners: [options.onProgress],
  });
  fetcher.progress = progress;
  for (const entry of plan) await fetcher.fetch(entry);
  progress.end({ repo, commit, files: plan.length, bytes: fetcher.downloadedBytes });
  return { repo, revision, commit, folder: cache.snapshotFolder(commit), files, downloadedBytes: fetcher.downloadedBytes, source: 'download' };
}

function repoUrl(context: HubRequestContext, route: string): string {
  return `${context.endpoint}/api/models/${context.repo}/${route}`;
}

async function readJson<T>(response: Response, context: HubRequestContext): Promise<T> {
  try {
    return (await response.json()) as T;
  } catch (cause) {
    throw new HubError(`the Hub's answer for ${context.repo} is not JSON`, {
      reason: 'bad-response',
      repo: context.repo,
      revision: context.revision,
      url: response.url,
      cause,
      hint: `is HF_ENDPOINT (${context.endpoint}) a Hugging Face Hub?`,
    });
  }
}

/** GET /api/models/{repo}/revision/{revision}: the commit a revision is at. */
async function resolveCommit(context: HubRequestContext, fetchImpl: typeof fetch, signal: AbortSignal | undefined): Promise<string> {
  const response = await hubFetch(repoUrl(context, `revision/${encodeURIComponent(context.revision)}`), signal ? { signal } : {}, context, fetchImpl);
  if (!response.ok) throw await hubResponseError(response, context);
  const info = await readJson<{ sha?: unknown }>(response, context);
  if (typeof info.sha !== 'string' || !isCommitHash(info.sha)) {
    throw new HubError(`the Hub's model info for ${context.repo}@${context.revision} has no commit sha`, {
      reason: 'bad-response',
      repo: context.repo,
      revision: context.revision,
      url: response.url,
    });
  }
  return info.sha;
}

/** GET /api/models/{repo}/tree/{commit}?recursive=true, following the Link header's pages. */
async function listTree(context: HubRequestContext, commit: string, fetchImpl: typeof fetch, signal: AbortSignal | undefined): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  let url: string | undefined = repoUrl(context, `tree/${encodeURIComponent(commit)}?recursive=true&expand=false`);
  while (url !== undefined) {
    const response = await hubFetch(url, signal ? { signal } : {}, context, fetchImpl);
    if (!response.ok) throw await hubResponseError(response, context);
    const page = await readJson<TreeEntry[]>(response, context);
    if (!Array.isArray(page)) throw new HubError(`the Hub's file list of ${context.repo} is not a list`, { reason: 'bad-response', repo: context.repo, url });
    entries.push(...page.filter((entry) => entry.type === 'file'));
    const next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '');
    url = next ? new URL(next[1]!, url).href : undefined;
  }
  return entries;
}

/** Downloads blobs into the cache: resumable, hash-checked, and counted for progress. */
class BlobFetcher {
  downloadedBytes = 0;
  progress: ProgressTracker | undefined;
  #steps = 0;
  #unreported = 0;

  constructor(
    private readonly cache: HubCacheFolder,
    private readonly context: HubRequestContext,
    private readonly commit: string,
    private readonly fetchImpl: typeof fetch,
    private readonly retries: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Moves the progress bar by `bytes` (negative when a partial file is dropped), reporting at least every MiB and at the end of each file. */
  #count(bytes: number, final = false): void {
    this.#unreported += bytes;
    if (this.progress && (this.#unreported >= 1 << 20 || (final && this.#unreported !== 0))) {
      this.progress.step(++this.#steps, this.#unreported);
      this.#unreported = 0;
    }
  }

  /** Makes snapshots/<commit>/<path> for `entry`, downloading its blob unless the cache has it. */
  async fetch(entry: TreeEntry): Promise<void> {
    const etag = entry.lfs?.oid ?? entry.oid;
    const blob = this.cache.blobPath(etag);
    // A blob another snapshot already holds (same content), or that another process fetched while this
    // one waited for the lock, is linked and counted as done.
    const size = entry.lfs?.size ?? entry.size;
    if (await this.cache.exists(blob)) this.#count(size, true);
    else {
      await this.cache.withBlobLock(
        etag,
        async () => {
          if (await this.cache.exists(blob)) this.#count(size, true);
          else await this.#download(entry, blob);
        },
        this.signal,
      );
    }
    await this.cache.linkSnapshotFile(this.commit, entry.path, etag);
  }

  async #download(entry: TreeEntry, blob: string): Promise<void> {
    const { context, cache } = this;
    const file = entry.path;
    const fileContext: HubRequestContext = { ...context, file };
    const size = entry.lfs?.size ?? entry.size;
    const incomplete = `${blob}.incomplete`;
    await cache.writable(incomplete, () => mkdir(dirname(blob), { recursive: true }));
    const url = `${context.endpoint}/${context.repo}/resolve/${encodeURIComponent(this.commit)}/${file.split('/').map(encodeURIComponent).join('/')}`;
    let counted = 0; // bytes of this file shown on the progress bar
    const onDisk = async (): Promise<number> => (await stat(incomplete).catch(() => undefined))?.size ?? 0;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(2000, 100 * 2 ** (attempt - 1)), this.signal);
      let have = await onDisk();
      if (have > size) {
        await truncate(incomplete, 0);
        have = 0;
      }
      if (have < size || (size === 0 && !(await cache.exists(incomplete)))) {
        const headers: Record<string, string> = { 'accept-encoding': 'identity' };
        if (have > 0) headers.range = `bytes=${have}-`;
        const response = await hubFetch(url, { headers, ...(this.signal ? { signal: this.signal } : {}) }, fileContext, this.fetchImpl);
        if (response.status === 416 || (have > 0 && response.status === 206 && contentRangeStart(response) !== have)) {
          // The partial file does not fit what the Hub serves now: start over.
          await response.body?.cancel();
          await truncate(incomplete, 0);
          lastError = new Error(`the Hub refused to resume from byte ${have}`);
          continue;
        }
        if (!response.ok) throw await hubResponseError(response, fileContext);
        // 206: append to the partial file; 200 (a server that ignores Range): start over with this answer.
        const append = response.status === 206 && have > 0;
        if (!append) have = 0;
        this.#count(have - counted);
        counted = have;
        const handle = await cache.writable(incomplete, () => open(incomplete, append ? 'a' : 'w'));
        try {
          if (response.body) {
            for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
              await handle.write(chunk);
              this.downloadedBytes += chunk.byteLength;
              counted += chunk.byteLength;
              this.#count(chunk.byteLength);
            }
          }
        } catch (error) {
          if (this.signal?.aborted || HubError.isInstance(error)) throw error;
          lastError = error;
          continue;
        } finally {
          await handle.close();
        }
      }
      const written = await onDisk();
      if (written < size) {
        lastError = new Error(`the connection closed after ${written} of ${size} bytes`);
        continue;
      }
      await this.#verify(entry, incomplete, written, size);
      await cache.writable(blob, () => rename(incomplete, blob));
      this.#count(written - counted, true);
      return;
    }
    const have = await onDisk();
    throw new HubError(
      `downloading ${file} of ${context.repo} failed after ${this.retries + 1} tries (${describe(lastError)}); ${have} of ${size} bytes are kept`,
      {
        reason: 'network',
        repo: context.repo,
        revision: context.revision,
        url,
        file: incomplete,
        cause: lastError,
        hint: 'run the command again: the download resumes where it stopped',
      },
    );
  }

  async #verify(entry: TreeEntry, path: string, written: number, size: number): Promise<void> {
    const { context } = this;
    const expected = entry.lfs ? entry.lfs.oid : entry.oid;
    const hash: Hash = entry.lfs ? createHash('sha256') : createHash('sha1').update(`blob ${written}\0`);
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    if (written === size && actual === expected) return;
    await unlink(path).catch(() => undefined);
    throw new HubError(
      written !== size
        ? `${entry.path} of ${context.repo}: got ${written} bytes, the Hub lists ${size}`
        : `${entry.path} of ${context.repo}: the downloaded bytes hash to ${actual}, the Hub lists ${entry.lfs ? 'sha256' : 'git blob id'} ${expected}`,
      {
        reason: 'checksum',
        repo: context.repo,
        revision: context.revision,
        file: path,
        hint: 'the file was corrupted on the way (a proxy or the mirror at HF_ENDPOINT); the partial file was deleted: run again to download it anew',
      },
    );
  }
}

function contentRangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

function describe(error: unknown): string {
  if (error === undefined) return 'no answer';
  const cause = (error as { cause?: { code?: string } }).cause;
  return `${(error as Error).message ?? String(error)}${cause?.code ? ` (${cause.code})` : ''}`;
}
