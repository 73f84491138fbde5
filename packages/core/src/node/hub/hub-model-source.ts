import { stat } from 'node:fs/promises';
import { HubError } from '../../errors';
import { downloadHubSnapshot, type HubDownloadOptions, type HubSnapshot } from './hub-download';
import { parseHubModelId } from './hub-model-id';

/** Where a model or tokenizer named by a folder or a Hub id is on disk. */
export interface ResolvedModelSource {
  /** A local folder (or file) to load from: the path given, or the cache snapshot of a Hub id. */
  readonly path: string;
  /** The snapshot, when `source` was a Hub id. */
  readonly snapshot?: HubSnapshot;
}

/**
 * Returns the local path of `source`: itself when it exists on disk (a folder wins over a Hub id of the
 * same spelling, as in transformers), else, for a Hub id `org/name[@revision]`, the cache snapshot of
 * the files `options.files` selects (downloaded when missing; see {@link downloadHubSnapshot}). Any
 * other string is returned unchanged, for the loader to report as missing.
 */
export async function resolveModelSource(source: string, options: HubDownloadOptions = {}): Promise<ResolvedModelSource> {
  if ((await stat(source).catch(() => undefined)) !== undefined) return { path: source };
  const id = parseHubModelId(source);
  if (id === undefined) return { path: source };
  try {
    const snapshot = await downloadHubSnapshot(id.repo, { ...options, revision: options.revision ?? id.revision });
    return { path: snapshot.folder, snapshot };
  } catch (error) {
    // "runs/final" may be a mistyped local folder rather than a Hub id: say both.
    if (!HubError.isInstance(error) || (error.reason !== 'unauthorized' && error.reason !== 'repo-not-found')) throw error;
    throw new HubError(`"${source}" is no local path, and as a Hugging Face Hub id: ${error.message}`, {
      reason: error.reason,
      ...(error.repo !== undefined ? { repo: error.repo } : {}),
      ...(error.revision !== undefined ? { revision: error.revision } : {}),
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.url !== undefined ? { url: error.url } : {}),
      cause: error,
    });
  }
}
