/** A Hub model named as `org/name` or `org/name@revision`. */
export interface HubModelId {
  /** `org/name`. */
  readonly repo: string;
  /** A branch, tag or 40-hex commit (default `main`). */
  readonly revision: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Returns the repo and revision of a Hub id (`org/name` or `org/name@revision`), or undefined when
 * `text` is not one (a path with more parts, `./x`, an absolute path, a URL). Whether a local folder of
 * that name exists is for the caller to check first: a folder wins, as in transformers.
 */
export function parseHubModelId(text: string): HubModelId | undefined {
  const at = text.indexOf('@');
  const repo = at === -1 ? text : text.slice(0, at);
  const revision = at === -1 ? 'main' : text.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((part) => NAME.test(part) && !part.includes('..') && part.length <= 96)) return undefined;
  if (revision === '' || /\s/.test(revision) || revision.includes('..')) return undefined;
  return { repo, revision };
}

/** True when `revision` is a full commit hash (40 hex digits). */
export function isCommitHash(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
