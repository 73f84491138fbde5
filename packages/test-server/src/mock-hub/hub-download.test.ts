// Tests of @steerlm/core/node's Hub client (downloadHubSnapshot and friends) against the mock Hub. They
// live here because core cannot depend on this package (it depends on core).
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HubError, type ProgressEvent } from '@steerlm/core';
import {
  downloadHubSnapshot,
  type HubDownloadOptions,
  HUB_MODEL_FILES,
  HUB_TOKENIZER_FILES,
  hubSettings,
  mergeHubFileSelections,
  parseHubModelId,
  resolveModelSource,
} from '@steerlm/core/node';
import { startMockHub, type MockHub } from './mock-hub';

const WEIGHTS = Uint8Array.from({ length: 5000 }, (_, index) => (index * 7) % 251);
const MODEL = {
  'config.json': '{"architectures":["LlamaForCausalLM"]}',
  'generation_config.json': '{"max_length":20}',
  'tokenizer.json': '{"model":{"type":"BPE"}}',
  'tokenizer_config.json': '{}',
  'model.safetensors': WEIGHTS,
  'pytorch_model.bin': new Uint8Array(300),
  'README.md': '# tiny',
};

let hub: MockHub;
let root: string;
let cacheDir: string;
let run = 0;

beforeAll(async () => {
  hub = await startMockHub();
  root = await mkdtemp(join(tmpdir(), 'steerlm-hub-'));
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});
afterEach(() => hub.clearRequests());

/** A fresh cache folder and repo id per test. */
function fresh(): { cacheDir: string; repo: string } {
  run += 1;
  cacheDir = join(root, `cache-${run}`);
  return { cacheDir, repo: `org/tiny-${run}` };
}

const options = (extra: HubDownloadOptions = {}): HubDownloadOptions => ({ endpoint: hub.url, cacheDir, token: false, retries: 0, ...extra });

async function rejection(promise: Promise<unknown>): Promise<HubError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(HubError.isInstance(error), `expected a HubError, got ${String(error)}`).toBe(true);
  return error as HubError;
}

describe('downloadHubSnapshot', () => {
  it('downloads only the files loading needs into the huggingface_hub cache layout, with progress', async () => {
    const { repo } = fresh();
    const commit = hub.addFiles(repo, MODEL);
    const events: ProgressEvent[] = [];
    const snapshot = await downloadHubSnapshot(
      repo,
      options({ files: mergeHubFileSelections(HUB_MODEL_FILES, HUB_TOKENIZER_FILES), onProgress: (event) => events.push(event) }),
    );

    const storage = join(cacheDir, `models--${repo.replace('/', '--')}`);
    expect(snapshot).toMatchObject({ repo, revision: 'main', commit, folder: join(storage, 'snapshots', commit), source: 'download' });
    expect([...snapshot.files].sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(await readFile(join(storage, 'refs', 'main'), 'utf8')).toBe(commit);
    // LFS blobs are named by sha256, others by their git blob id; snapshot files are relative symlinks.
    const sha256 = createHash('sha256').update(WEIGHTS).digest('hex');
    expect(await readlink(join(snapshot.folder, 'model.safetensors'))).toBe(join('..', '..', 'blobs', sha256));
    expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(WEIGHTS);
    const configOid = createHash('sha1').update(`blob ${MODEL['config.json'].length}\0${MODEL['config.json']}`).digest('hex');
    expect(await readFile(join(storage, 'blobs', configOid), 'utf8')).toBe(MODEL['config.json']);
    expect((await lstat(join(snapshot.folder, 'config.json'))).isSymbolicLink()).toBe(true);
    // Not fetched: README.md and the .bin weights.
    await expect(stat(join(snapshot.folder, 'pytorch_model.bin'))).rejects.toThrow();
    expect(hub.requests.some((request) => request.path.includes('pytorch_model.bin') || request.path.includes('README'))).toBe(false);
    // The LFS file went through the redirect to the CDN.
    expect(hub.requests.map((request) => request.path)).toContain(`/cdn/${sha256}`);

    const size = (content: string | Uint8Array): number => (typeof content === 'string' ? new TextEncoder().encode(content).byteLength : content.byteLength);
    const total = Object.entries(MODEL)
      .filter(([name]) => snapshot.files.includes(name))
      .reduce((sum, [, content]) => sum + size(content), 0);
    expect(snapshot.downloadedBytes).toBe(total);
    const start = events.find((event) => event.type === 'job-start');
    expect(start).toMatchObject({ job: `download ${repo}`, total, unit: 'bytes', detail: { commit } });
    const steps = events.filter((event) => event.type === 'step-end');
    expect(steps.at(-1)).toMatchObject({ done: total, total });
    expect(events.at(-1)).toMatchObject({ type: 'job-end', summary: { files: 5, bytes: total } });
  });

  it('follows a sharded safetensors index to its shards', async () => {
    const { repo } = fresh();
    const index = {
      metadata: { total_size: 8 },
      weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors', c: 'model-00001-of-00002.safetensors' },
    };
    hub.addFiles(repo, {
      'config.json': '{}',
      'model.safetensors.index.json': JSON.stringify(index),
      'model-00001-of-00002.safetensors': new Uint8Array([1, 2, 3, 4]),
      'model-00002-of-00002.safetensors': new Uint8Array([5, 6, 7, 8]),
      'other.safetensors': new Uint8Array(10),
    });
    const snapshot = await downloadHubSnapshot(repo, options());
    expect([...snapshot.files].sort()).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    expect([...(await readFile(join(snapshot.folder, 'model-00002-of-00002.safetensors')))]).toEqual([5, 6, 7, 8]);
    // The cache knows the shards through the index: no request the second time for the pinned commit.
    hub.clearRequests();
    await downloadHubSnapshot(repo, options({ revision: snapshot.commit }));
    expect(hub.requests).toEqual([]);
  });

  it('pages through the tree API by its Link header', async () => {
    const paged = await startMockHub({ treePageSize: 2 });
    try {
      const { repo } = fresh();
      paged.addFiles(repo, MODEL);
      const snapshot = await downloadHubSnapshot(repo, options({ endpoint: paged.url, files: mergeHubFileSelections(HUB_MODEL_FILES, HUB_TOKENIZER_FILES) }));
      expect(snapshot.files).toHaveLength(5);
      expect(paged.requests.filter((request) => request.path.includes('/tree/')).length).toBe(4);
    } finally {
      await paged.close();
    }
  });

  it('answers from the cache: no request for a pinned commit, one (which commit?) for a branch', async () => {
    const { repo } = fresh();
    const commit = hub.addFiles(repo, MODEL);
    const first = await downloadHubSnapshot(repo, options());
    hub.clearRequests();
    const pinned = await downloadHubSnapshot(repo, options({ revision: commit }));
    expect(hub.requests).toEqual([]);
    expect(pinned).toMatchObject({ folder: first.folder, source: 'cache', downloadedBytes: 0 });
    const branch = await downloadHubSnapshot(repo, options());
    expect(hub.requests.map((request) => `${request.method} ${request.path}`)).toEqual([`GET /api/models/${repo}/revision/main`]);
    expect(branch).toMatchObject({ folder: first.folder, source: 'cache-checked', downloadedBytes: 0 });
  });

  it('resumes a cut download with a Range request, within one call and from a later call', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, MODEL);
    const sha256 = createHash('sha256').update(WEIGHTS).digest('hex');
    const incomplete = join(cacheDir, `models--${repo.replace('/', '--')}`, 'blobs', `${sha256}.incomplete`);

    // No retries: the call fails, keeping the bytes it got.
    hub.fault(repo, 'model.safetensors', { kind: 'cut', afterBytes: 1500 });
    const error = await rejection(downloadHubSnapshot(repo, options()));
    expect(error.reason).toBe('network');
    expect(error.message).toContain('the download resumes where it stopped');
    const kept = (await stat(incomplete)).size;
    expect(kept).toBe(1500);

    // The next call asks for the rest only.
    hub.clearRequests();
    const snapshot = await downloadHubSnapshot(repo, options());
    const cdn = hub.requests.filter((request) => request.path.startsWith('/cdn/'));
    expect(cdn.map((request) => request.range)).toEqual([`bytes=${kept}-`]);
    // The rest of the weights, and generation_config.json, which comes after them.
    expect(snapshot.downloadedBytes).toBe(WEIGHTS.byteLength - kept + MODEL['generation_config.json'].length);
    expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(WEIGHTS);
    await expect(stat(incomplete)).rejects.toThrow();

    // With retries (the default), one call gets through two cuts.
    const second = fresh();
    hub.addFiles(second.repo, MODEL);
    hub.fault(second.repo, 'model.safetensors', { kind: 'cut', afterBytes: 1000, times: 2 });
    hub.clearRequests();
    const resumed = await downloadHubSnapshot(second.repo, { endpoint: hub.url, cacheDir: second.cacheDir, token: false });
    expect(new Uint8Array(await readFile(join(resumed.folder, 'model.safetensors')))).toEqual(WEIGHTS);
    expect(hub.requests.filter((request) => request.path.startsWith('/cdn/')).map((request) => request.range)).toEqual([
      undefined,
      'bytes=1000-',
      'bytes=2000-',
    ]);
  });

  it('two downloads of one model at once fetch each file once (a lock per blob)', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, MODEL);
    const [a, b] = await Promise.all([downloadHubSnapshot(repo, options()), downloadHubSnapshot(repo, options())]);
    expect(a.folder).toBe(b.folder);
    expect(new Uint8Array(await readFile(join(a.folder, 'model.safetensors')))).toEqual(WEIGHTS);
    expect(hub.requests.filter((request) => request.path.startsWith('/cdn/')).length).toBe(1);
    expect(a.downloadedBytes + b.downloadedBytes).toBe(WEIGHTS.byteLength + MODEL['config.json'].length + MODEL['generation_config.json'].length);
    // No lock is left behind.
    const locks = join(cacheDir, '.locks', `models--${repo.replace('/', '--')}`);
    expect(await readdir(locks)).toEqual([]);
  });

  it('uses the cache only when offline, and says what is missing', async () => {
    const { repo } = fresh();
    await rejection(downloadHubSnapshot(repo, options({ offline: true }))).then((error) => {
      expect(error.reason).toBe('offline');
      expect(error.message).toContain(`HF_HUB_OFFLINE is set and the cache has no revision "main" of ${repo}`);
      expect(error.message).toContain('unset HF_HUB_OFFLINE');
    });
    hub.addFiles(repo, MODEL);
    const online = await downloadHubSnapshot(repo, options());
    hub.clearRequests();
    const offline = await downloadHubSnapshot(repo, options({ offline: true }));
    expect(offline).toMatchObject({ folder: online.folder, commit: online.commit, source: 'cache' });
    expect(hub.requests).toEqual([]);
    // The tokenizer files were never fetched: offline says so.
    const missing = await rejection(downloadHubSnapshot(repo, options({ offline: true, files: HUB_TOKENIZER_FILES })));
    expect(missing.message).toContain('lacks tokenizer.json');
    // HF_HUB_OFFLINE=1 in the environment does the same.
    expect(hubSettings({}, { HF_HUB_OFFLINE: '1' }).offline).toBe(true);
  });

  it('falls back to the cached snapshot when the Hub cannot be reached', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, MODEL);
    const online = await downloadHubSnapshot(repo, options());
    const events: ProgressEvent[] = [];
    const down = await downloadHubSnapshot(repo, options({ endpoint: 'http://127.0.0.1:9', onProgress: (event) => events.push(event) }));
    expect(down.folder).toBe(online.folder);
    expect(events).toEqual([expect.objectContaining({ type: 'warning', message: expect.stringContaining('the Hub cannot be reached') })]);
    const none = await rejection(downloadHubSnapshot('org/never-cached', options({ endpoint: 'http://127.0.0.1:9' })));
    expect(none.reason).toBe('network');
    expect(none.message).toContain('HF_HUB_OFFLINE=1');
  });

  it('pins revisions: a branch, a commit, and a branch that moved', async () => {
    const { repo } = fresh();
    const old = hub.addFiles(repo, { ...MODEL, 'config.json': '{"v":1}' });
    const dev = hub.addFiles(repo, { ...MODEL, 'config.json': '{"v":"dev"}' }, { branch: 'dev' });
    const current = hub.addFiles(repo, { ...MODEL, 'config.json': '{"v":2}' });
    const main = await downloadHubSnapshot(repo, options());
    const events: ProgressEvent[] = [];
    const atOld = await downloadHubSnapshot(repo, options({ revision: old, onProgress: (event) => events.push(event) }));
    // The shared blob counts as done: the bar ends full.
    const total = (events[0] as { total: number }).total;
    expect(total).toBeGreaterThan(WEIGHTS.byteLength);
    expect(events.filter((event) => event.type === 'step-end').at(-1)).toMatchObject({ done: total });
    const atDev = await downloadHubSnapshot(repo, options({ revision: 'dev' }));
    expect([main.commit, atOld.commit, atDev.commit]).toEqual([current, old, dev]);
    expect(await readFile(join(main.folder, 'config.json'), 'utf8')).toBe('{"v":2}');
    expect(await readFile(join(atOld.folder, 'config.json'), 'utf8')).toBe('{"v":1}');
    expect(await readFile(join(atDev.folder, 'config.json'), 'utf8')).toBe('{"v":"dev"}');
    const refs = join(cacheDir, `models--${repo.replace('/', '--')}`, 'refs');
    expect(await readFile(join(refs, 'dev'), 'utf8')).toBe(dev);
    // The weights are the same blob in every snapshot: fetched once.
    expect(main.downloadedBytes).toBeGreaterThan(WEIGHTS.byteLength);
    expect(atOld.downloadedBytes).toBe(7);
  });

  it('resolves org/name@revision ids and leaves local folders alone', async () => {
    const { repo } = fresh();
    const commit = hub.addFiles(repo, MODEL);
    expect(parseHubModelId('org/name')).toEqual({ repo: 'org/name', revision: 'main' });
    expect(parseHubModelId('org/name@refs/pr/1')).toEqual({ repo: 'org/name', revision: 'refs/pr/1' });
    expect(parseHubModelId('runs/a/final')).toBeUndefined();
    expect(parseHubModelId('./x')).toBeUndefined();
    expect(parseHubModelId('/abs/path')).toBeUndefined();
    const resolved = await resolveModelSource(`${repo}@${commit}`, options());
    expect(resolved.path).toBe(join(cacheDir, `models--${repo.replace('/', '--')}`, 'snapshots', commit));
    const local = join(root, 'org');
    await mkdir(join(local, 'tiny'), { recursive: true });
    expect(await resolveModelSource(join(local, 'tiny'), options())).toEqual({ path: join(local, 'tiny') });
    // A two-part path that is not on disk may be a mistyped folder: the error says both.
    const typo = await rejection(resolveModelSource('runs/final', options()));
    expect(typo.message).toMatch(/^"runs\/final" is no local path, and as a Hugging Face Hub id: runs\/final is private or does not exist/);
  });
});

describe('downloadHubSnapshot errors', () => {
  it('a private repo without a token: 401, with the HF_TOKEN hint; with the token it downloads', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, MODEL, { private: true, token: 'hf_secret' });
    const error = await rejection(downloadHubSnapshot(repo, options()));
    expect(error).toMatchObject({ reason: 'unauthorized', status: 401, repo });
    expect(error.message).toBe(
      `${repo} is private or does not exist, and no token was sent (HTTP 401: Repository not found) (set HF_TOKEN to a token with read access (${hub.url}/settings/tokens), or check the spelling of the id)`,
    );
    const wrong = await rejection(downloadHubSnapshot(repo, options({ token: 'hf_wrong' })));
    expect(wrong.message).toContain('the Hub refused the token');
    const snapshot = await downloadHubSnapshot(repo, options({ token: 'hf_secret' }));
    expect(await readFile(join(snapshot.folder, 'config.json'), 'utf8')).toBe(MODEL['config.json']);
    expect(hub.requests.at(-1)?.authorization).toBe('Bearer hf_secret');
    // The token goes to the Hub, never to the CDN (another origin) that LFS files are redirected to.
    const separate = await startMockHub({ separateCdn: true });
    try {
      separate.addFiles(repo, MODEL, { private: true, token: 'hf_secret' });
      const viaCdn = await downloadHubSnapshot(repo, options({ endpoint: separate.url, cacheDir: join(root, `cdn-${run}`), token: 'hf_secret' }));
      expect(new Uint8Array(await readFile(join(viaCdn.folder, 'model.safetensors')))).toEqual(WEIGHTS);
      const cdn = separate.requests.filter((request) => request.path.startsWith('/cdn/'));
      expect(cdn).toHaveLength(1);
      expect(cdn[0]!.authorization).toBeUndefined();
      expect(separate.requests.filter((request) => !request.path.startsWith('/cdn/')).every((request) => request.authorization === 'Bearer hf_secret')).toBe(
        true,
      );
    } finally {
      await separate.close();
    }
    // HF_TOKEN from the environment is the default token.
    expect(hubSettings({}, { HF_TOKEN: 'hf_env' }).token).toBe('hf_env');
  });

  it('a missing file, a repo with .bin weights only, and a wrong revision', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, { 'config.json': '{}', 'pytorch_model.bin': new Uint8Array(8) });
    const tokenizer = await rejection(downloadHubSnapshot(repo, options({ files: HUB_TOKENIZER_FILES })));
    expect(tokenizer).toMatchObject({ reason: 'file-not-found', repo });
    expect(tokenizer.message).toContain(`${repo}@main is missing tokenizer.json (the repo has: config.json, pytorch_model.bin)`);
    const weights = await rejection(downloadHubSnapshot(repo, options()));
    expect(weights.message).toContain('missing one of model.safetensors, model.safetensors.index.json');
    expect(weights.message).toContain('PyTorch .bin weights only');
    const revision = await rejection(downloadHubSnapshot(repo, options({ revision: 'v9' })));
    expect(revision).toMatchObject({ reason: 'revision-not-found', status: 404, revision: 'v9' });
    expect(revision.message).toContain(`${repo} has no revision "v9"`);
    expect(revision.message).toContain(`e.g. ${repo}@main`);
    // A file the tree lists but resolve answers 404 for (deleted meanwhile).
    const gone = fresh();
    hub.addFiles(gone.repo, MODEL);
    hub.fault(gone.repo, 'config.json', { kind: 'gone' });
    const entry = await rejection(downloadHubSnapshot(gone.repo, options({ cacheDir: gone.cacheDir })));
    expect(entry).toMatchObject({ reason: 'file-not-found', status: 404 });
    expect(entry.message).toContain(`${gone.repo}@main has no file config.json (HTTP 404: config.json does not exist on`);
    expect(entry.message).toContain(`see ${hub.url}/${gone.repo}/tree/main`);
    const unknown = await rejection(downloadHubSnapshot('org/does-not-exist', options({ token: 'hf_any' })));
    expect(unknown).toMatchObject({ reason: 'repo-not-found', status: 404 });
  });

  it('a checksum mismatch deletes the bad bytes and says so', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, MODEL);
    hub.fault(repo, 'model.safetensors', { kind: 'corrupt' });
    const error = await rejection(downloadHubSnapshot(repo, options()));
    const sha256 = createHash('sha256').update(WEIGHTS).digest('hex');
    expect(error.reason).toBe('checksum');
    expect(error.message).toContain(`model.safetensors of ${repo}: the downloaded bytes hash to`);
    expect(error.message).toContain(`the Hub lists sha256 ${sha256}`);
    expect(error.file).toMatch(/\.incomplete$/);
    await expect(stat(error.file!)).rejects.toThrow();
    // The next try gets good bytes.
    const snapshot = await downloadHubSnapshot(repo, options());
    expect(new Uint8Array(await readFile(join(snapshot.folder, 'model.safetensors')))).toEqual(WEIGHTS);
  });

  it('a cache folder that cannot be written', async () => {
    const { repo } = fresh();
    hub.addFiles(repo, MODEL);
    const blocker = join(root, `blocker-${run}`);
    await writeFile(blocker, 'a file, not a folder');
    const error = await rejection(downloadHubSnapshot(repo, options({ cacheDir: join(blocker, 'hub') })));
    expect(error.reason).toBe('cache-not-writable');
    expect(error.message).toContain('cannot write the Hugging Face cache (ENOTDIR');
    expect(error.message).toContain(`point HF_HUB_CACHE (or HF_HOME) at a folder you can write (now ${join(blocker, 'hub')})`);

    // A cache that holds the files but cannot record a ref (a read-only shared cache) still serves them.
    const snapshot = await downloadHubSnapshot(repo, options());
    const refs = join(cacheDir, `models--${repo.replace('/', '--')}`, 'refs');
    await rm(refs, { recursive: true });
    await writeFile(refs, 'not a folder');
    expect(await downloadHubSnapshot(repo, options())).toMatchObject({ folder: snapshot.folder, source: 'cache-checked' });
  });
});

describe('hubSettings', () => {
  it('reads the environment as huggingface_hub does', async () => {
    expect(hubSettings({}, { HF_HOME: '/h' })).toEqual({ endpoint: 'https://huggingface.co', cacheDir: '/h/hub', token: undefined, offline: false });
    expect(hubSettings({}, { HF_HOME: '/h', HF_HUB_CACHE: '/c', HF_ENDPOINT: 'http://mirror/', HF_HUB_OFFLINE: 'true' })).toEqual({
      endpoint: 'http://mirror',
      cacheDir: '/c',
      token: undefined,
      offline: true,
    });
    expect(hubSettings({}, { XDG_CACHE_HOME: '/x', HF_HUB_OFFLINE: '0' })).toMatchObject({ cacheDir: '/x/huggingface/hub', offline: false });
    const home = join(root, 'hf-home');
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'token'), 'hf_from_file\n');
    expect(hubSettings({}, { HF_HOME: home }).token).toBe('hf_from_file');
    expect(hubSettings({ token: false }, { HF_HOME: home, HF_TOKEN: 'x' }).token).toBeUndefined();
  });
});
