import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/** A file of a mock Hub commit. */
interface RepoFile {
  readonly bytes: Uint8Array;
  /** The git blob id (of the LFS pointer for LFS files). */
  readonly oid: string;
  /** sha256 of the content, for LFS files. */
  readonly lfs?: { readonly oid: string; readonly pointerSize: number };
}

interface Repo {
  private: boolean;
  token: string | undefined;
  readonly branches: Map<string, string>;
  readonly commits: Map<string, Map<string, RepoFile>>;
}

/** One request the mock Hub answered. */
export interface MockHubRequest {
  readonly method: string;
  /** The decoded path and query, e.g. `/api/models/org/tiny/revision/main`. */
  readonly path: string;
  /** The Range header, when sent. */
  readonly range: string | undefined;
  /** The Authorization header, when sent. */
  readonly authorization: string | undefined;
}

/** Options of {@link MockHub.addRepo}. */
export interface MockHubRepoOptions {
  /** The branch the files are committed to (default `main`); a repo may hold several, and several commits. */
  branch?: string;
  /** A private repo: every route answers 401 unless `Authorization: Bearer <token>` is sent. */
  private?: boolean;
  /** The token a private repo accepts (default `hf_mock_token`). */
  token?: string;
  /** Which files are stored in LFS (redirected to the mock CDN, with sha256 headers); default: *.safetensors, *.bin, *.onnx and files of 1 MiB or more. */
  lfs?: (path: string, size: number) => boolean;
}

/** A fault the next answers for one file suffer (see {@link MockHub.fault}). */
export type MockHubFault =
  /** Send the headers (with the full Content-Length) and `afterBytes` bytes, then drop the connection; `times` answers (default 1). */
  | { kind: 'cut'; afterBytes: number; times?: number }
  /** Serve the file with its first byte changed (same size): a checksum mismatch. */
  | { kind: 'corrupt'; times?: number }
  /** Answer resolve with 404 EntryNotFound although the tree lists the file (deleted meanwhile). */
  | { kind: 'gone'; times?: number };

/** A local HTTP server speaking the Hugging Face Hub routes that model downloads use. */
export interface MockHub {
  /** The base URL, e.g. `http://127.0.0.1:41234`: set HF_ENDPOINT to it. */
  readonly url: string;
  /** Every request answered so far, in order. */
  readonly requests: readonly MockHubRequest[];
  /** Commits the files of `folder` (recursively; dotfiles skipped) to `repo` (`org/name`); returns the commit sha. */
  addRepo(repo: string, folder: string, options?: MockHubRepoOptions): Promise<string>;
  /** Commits `files` (repo path → content) to `repo`; returns the commit sha. */
  addFiles(repo: string, files: Readonly<Record<string, Uint8Array | string>>, options?: MockHubRepoOptions): string;
  /** Makes the next answers for `repo`'s `path` (resolve or CDN body) suffer `fault`. */
  fault(repo: string, path: string, fault: MockHubFault): void;
  /** Forgets the request log. */
  clearRequests(): void;
  /** Stops the server, dropping open connections. */
  close(): Promise<void>;
}

/** Options of {@link startMockHub}. */
export interface MockHubOptions {
  /** The port (default: a free one). */
  port?: number;
  /** Entries per page of the tree API, to exercise its Link-header paging (default 1000, as the Hub). */
  treePageSize?: number;
  /** Serve LFS content from a second server (another origin, as the Hub's CDN is), instead of this one's /cdn/. */
  separateCdn?: boolean;
}

const DEFAULT_TOKEN = 'hf_mock_token';
const LFS_PATTERN = /\.(safetensors|bin|onnx|onnx_data|pt|h5|msgpack|gguf)$/;

function gitBlobOid(bytes: Uint8Array): string {
  return createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');
}

function toBytes(content: Uint8Array | string): Uint8Array {
  return typeof content === 'string' ? new TextEncoder().encode(content) : content;
}

async function readFolder(folder: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(folder, join(entry.parentPath, entry.name)).split(/[\\/]/).join('/');
    if (path.split('/').some((part) => part.startsWith('.'))) continue;
    files[path] = new Uint8Array(await readFile(join(entry.parentPath, entry.name)));
  }
  return files;
}

function hubError(response: ServerResponse, status: number, code: string | undefined, message: string): void {
  const body = JSON.stringify({ error: message });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-error-message': message,
    ...(code ? { 'x-error-code': code } : {}),
  });
  response.end(body);
}

/**
 * Starts a mock Hugging Face Hub on 127.0.0.1: `GET /api/models/{repo}/revision/{rev}` (model info with
 * the commit sha), `GET /api/models/{repo}/tree/{rev}?recursive=1` (files with sizes, git oids and LFS
 * sha256, paged by Link headers), `HEAD|GET /{repo}/resolve/{rev}/{path}` (small files served with
 * ETag and X-Repo-Commit; LFS files redirected with 302 to `/cdn/{sha256}` with X-Linked-Etag and
 * X-Linked-Size), Range requests (206), 401 for private repos without their token, and 404s with the
 * Hub's X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound). For the project's tests: no
 * network beyond this machine.
 */
export async function startMockHub(options: MockHubOptions = {}): Promise<MockHub> {
  const repos = new Map<string, Repo>();
  const blobs = new Map<string, { repo: string; path: string; bytes: Uint8Array }>();
  const faults = new Map<string, MockHubFault & { remaining: number }>();
  const requests: MockHubRequest[] = [];
  const pageSize = options.treePageSize ?? 1000;
  let commitCounter = 0;

  const addFiles = (repoId: string, files: Readonly<Record<string, Uint8Array | string>>, repoOptions: MockHubRepoOptions = {}): string => {
    const repo: Repo = repos.get(repoId) ?? { private: false, token: undefined, branches: new Map(), commits: new Map() };
    repos.set(repoId, repo);
    if (repoOptions.private !== undefined) repo.private = repoOptions.private;
    if (repo.private) repo.token = repoOptions.token ?? repo.token ?? DEFAULT_TOKEN;
    const isLfs = repoOptions.lfs ?? ((path: string, size: number) => LFS_PATTERN.test(path) || size >= 1 << 20);
    const tree = new Map<string, RepoFile>();
    for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
      const bytes = toBytes(content);
      if (isLfs(path, bytes.byteLength)) {
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const pointer = new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${bytes.byteLength}\n`);
        tree.set(path, { bytes, oid: gitBlobOid(pointer), lfs: { oid: sha256, pointerSize: pointer.byteLength } });
        blobs.set(sha256, { repo: repoId, path, bytes });
      } else {
        tree.set(path, { bytes, oid: gitBlobOid(bytes) });
      }
    }
    const branch = repoOptions.branch ?? 'main';
    const listing = [...tree].map(([path, file]) => `${path} ${file.lfs?.oid ?? file.oid}`).join('\n');
    const commit = createHash('sha1')
      .update(`${repoId}\n${branch}\n${repo.branches.get(branch) ?? ''}\n${++commitCounter}\n${listing}`)
      .digest('hex');
    repo.commits.set(commit, tree);
    repo.branches.set(branch, commit);
    return commit;
  };

  /** The repo, after the auth check; answers the error and returns undefined when there is none to serve. */
  const authorize = (repoId: string, request: IncomingMessage, response: ServerResponse): Repo | undefined => {
    const repo = repos.get(repoId);
    const authorization = request.headers.authorization;
    if (repo?.private && authorization !== `Bearer ${repo.token}`) {
      // The Hub does not tell a private repo from a missing one without a valid token.
      if (authorization === undefined) hubError(response, 401, 'RepoNotFound', 'Repository not found');
      else hubError(response, 401, undefined, 'Invalid credentials in Authorization header');
      return undefined;
    }
    if (!repo) {
      hubError(response, authorization === undefined ? 401 : 404, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    return repo;
  };

  const commitOf = (repo: Repo, revision: string): string | undefined => repo.branches.get(revision) ?? (repo.commits.has(revision) ? revision : undefined);

  /** Sends `bytes` honouring Range (206) and the file's fault, after `headers`. */
  const sendBody = (request: IncomingMessage, response: ServerResponse, bytes: Uint8Array, headers: Record<string, string>, faultKey: string): void => {
    let body = bytes;
    let status = 200;
    const extra: Record<string, string> = { 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === '' ? bytes.byteLength - 1 : Math.min(Number(range[2]), bytes.byteLength - 1);
      if (start >= bytes.byteLength || start > end) {
        response.writeHead(416, { 'content-range': `bytes */${bytes.byteLength}` });
        response.end();
        return;
      }
      body = bytes.subarray(start, end + 1);
      status = 206;
      extra['content-range'] = `bytes ${start}-${end}/${bytes.byteLength}`;
    }
    response.writeHead(status, { 'content-type': 'application/octet-stream', 'content-length': String(body.byteLength), ...headers, ...extra });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    const fault = faults.get(faultKey);
    if (fault && fault.kind !== 'gone' && fault.remaining > 0) {
      fault.remaining -= 1;
      if (fault.kind === 'corrupt') {
        const changed = Uint8Array.from(body);
        if (changed.byteLength > 0) changed[0] = changed[0]! ^ 0xff;
        response.end(changed);
        return;
      }
      response.flushHeaders();
      response.write(body.subarray(0, Math.min(fault.afterBytes, body.byteLength)), () => setTimeout(() => response.destroy(), 20));
      return;
    }
    response.end(body);
  };

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://mock-hub');
    const path = decodeURIComponent(url.pathname);
    requests.push({
      method: request.method ?? 'GET',
      path: `${path}${url.search}`,
      range: request.headers.range,
      authorization: request.headers.authorization,
    });
    const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);

    // The mock CDN: LFS content by sha256.
    if (segments[0] === 'cdn' && segments.length === 2) {
      const blob = blobs.get(segments[1]!);
      if (!blob) return hubError(response, 404, undefined, 'No such object');
      return sendBody(request, response, blob.bytes, { etag: `"${segments[1]}"` }, `${blob.repo}\n${blob.path}`);
    }

    // GET /api/models/{org}/{name}/revision/{rev} and /tree/{rev}[/{path}]
    if (segments[0] === 'api' && segments[1] === 'models' && segments.length >= 6) {
      const repoId = `${segments[2]}/${segments[3]}`;
      const repo = authorize(repoId, request, response);
      if (!repo) return;
      const route = segments[4];
      // A revision with a slash arrives encoded as one segment; the rest of the path (tree) follows it.
      const revision = segments[5]!;
      const commit = commitOf(repo, revision);
      if (!commit) return hubError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const tree = repo.commits.get(commit)!;
      if (route === 'revision') {
        const body = {
          _id: repoId,
          id: repoId,
          modelId: repoId,
          sha: commit,
          private: repo.private,
          siblings: [...tree.keys()].map((rfilename) => ({ rfilename })),
        };
        const text = JSON.stringify(body);
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        return void response.end(text);
      }
      if (route === 'tree') {
        const under = segments.slice(6).join('/');
        const recursive = ['1', 'true', 'True'].includes(url.searchParams.get('recursive') ?? '');
        const entries: Record<string, unknown>[] = [];
        const folders = new Set<string>();
        for (const [filePath, file] of tree) {
          if (under !== '' && !filePath.startsWith(`${under}/`)) continue;
          const rest = under === '' ? filePath : filePath.slice(under.length + 1);
          if (!recursive && rest.includes('/')) {
            folders.add(`${under === '' ? '' : `${under}/`}${rest.split('/')[0]}`);
            continue;
          }
          if (recursive) {
            const parts = filePath.split('/');
            for (let depth = 1; depth < parts.length; depth++) folders.add(parts.slice(0, depth).join('/'));
          }
          entries.push({
            type: 'file',
            oid: file.oid,
            size: file.bytes.byteLength,
            path: filePath,
            ...(file.lfs ? { lfs: { oid: file.lfs.oid, size: file.bytes.byteLength, pointerSize: file.lfs.pointerSize } } : {}),
          });
        }
        const all = [...[...folders].sort().map((folder) => ({ type: 'directory', oid: gitBlobOid(toBytes(folder)), size: 0, path: folder })), ...entries];
        const cursor = Number(url.searchParams.get('cursor') ?? '0');
        const page = all.slice(cursor, cursor + pageSize);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (cursor + pageSize < all.length) {
          const next = new URL(url.pathname + url.search, `http://${request.headers.host}`);
          next.searchParams.set('cursor', String(cursor + pageSize));
          headers.link = `<${next.href}>; rel="next"`;
        }
        const text = JSON.stringify(page);
        response.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
        return void response.end(text);
      }
    }

    // HEAD|GET /{org}/{name}/resolve/{rev}/{path}
    if (segments.length >= 5 && segments[2] === 'resolve' && (request.method === 'GET' || request.method === 'HEAD')) {
      const repoId = `${segments[0]}/${segments[1]}`;
      const repo = authorize(repoId, request, response);
      if (!repo) return;
      const revision = segments[3]!;
      const commit = commitOf(repo, revision);
      if (!commit) return hubError(response, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const filePath = segments.slice(4).join('/');
      const file = repo.commits.get(commit)!.get(filePath);
      if (!file) return hubError(response, 404, 'EntryNotFound', `${filePath} does not exist on "${revision}"`);
      const gone = faults.get(`${repoId}\n${filePath}`);
      if (gone?.kind === 'gone' && gone.remaining > 0) {
        gone.remaining -= 1;
        return hubError(response, 404, 'EntryNotFound', `${filePath} does not exist on "${revision}"`);
      }
      const headers = { 'x-repo-commit': commit };
      if (file.lfs) {
        response.writeHead(302, {
          ...headers,
          location: `${cdnUrl ?? `http://${request.headers.host}`}/cdn/${file.lfs.oid}`,
          etag: `"${file.oid}"`,
          'x-linked-etag': `"${file.lfs.oid}"`,
          'x-linked-size': String(file.bytes.byteLength),
          'content-length': '0',
        });
        return void response.end();
      }
      return sendBody(request, response, file.bytes, { ...headers, etag: `"${file.oid}"` }, `${repoId}\n${filePath}`);
    }
    hubError(response, 404, undefined, `no route ${request.method} ${path}`);
  };

  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    try {
      handle(request, response);
    } catch (error) {
      if (!response.headersSent) hubError(response, 500, undefined, (error as Error).message);
      else response.destroy();
    }
  };
  const listen = async (port: number): Promise<{ server: Server; url: string }> => {
    const server = createServer(listener);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  let cdnUrl: string | undefined;
  const servers: Server[] = [];
  if (options.separateCdn) {
    const cdn = await listen(0);
    servers.push(cdn.server);
    cdnUrl = cdn.url;
  }
  const main = await listen(options.port ?? 0);
  servers.push(main.server);
  const url = main.url;
  return {
    url,
    requests,
    addFiles,
    async addRepo(repo, folder, repoOptions) {
      return addFiles(repo, await readFolder(folder), repoOptions);
    },
    fault(repo, path, fault) {
      faults.set(`${repo}\n${path}`, { ...fault, remaining: fault.times ?? 1 });
    },
    clearRequests() {
      requests.length = 0;
    },
    close: async () => {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              server.close((error) => (error ? reject(error) : resolve()));
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
