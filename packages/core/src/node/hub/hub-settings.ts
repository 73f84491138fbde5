import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where and how Hub files are fetched: the same environment variables Python's huggingface_hub reads. */
export interface HubSettings {
  /** The Hub's base URL: HF_ENDPOINT, default https://huggingface.co (no trailing slash). */
  readonly endpoint: string;
  /** The cache folder: HF_HUB_CACHE, else $HF_HOME/hub, with HF_HOME default ~/.cache/huggingface (XDG_CACHE_HOME honoured). */
  readonly cacheDir: string;
  /** The access token: HF_TOKEN, else the file HF_TOKEN_PATH (default $HF_HOME/token), when there is one. */
  readonly token: string | undefined;
  /** HF_HUB_OFFLINE=1: use the cache only and make no request. */
  readonly offline: boolean;
}

/** Options that override the environment, per call. */
export interface HubSettingsOptions {
  endpoint?: string;
  cacheDir?: string;
  /** A token, or `false` to send none even when HF_TOKEN is set. */
  token?: string | false;
  offline?: boolean;
}

/** True for the values huggingface_hub reads as true: 1, ON, YES, TRUE (any case). */
function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'ON', 'YES', 'TRUE'].includes(value.trim().toUpperCase());
}

function readTokenFile(path: string): string | undefined {
  try {
    const token = readFileSync(path, 'utf8').trim();
    return token === '' ? undefined : token;
  } catch {
    return undefined;
  }
}

/** Returns the Hub settings of `env` (default process.env), with `options` taking precedence. */
export function hubSettings(options: HubSettingsOptions = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const nonEmpty = (value: string | undefined): string | undefined => (value !== undefined && value.trim() !== '' ? value.trim() : undefined);
  const home = nonEmpty(env.HF_HOME) ?? join(nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache'), 'huggingface');
  const cacheDir = options.cacheDir ?? nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE) ?? join(home, 'hub');
  const endpoint = (options.endpoint ?? nonEmpty(env.HF_ENDPOINT) ?? 'https://huggingface.co').replace(/\/+$/, '');
  const token =
    options.token === false
      ? undefined
      : (options.token ?? nonEmpty(env.HF_TOKEN) ?? nonEmpty(env.HUGGING_FACE_HUB_TOKEN) ?? readTokenFile(nonEmpty(env.HF_TOKEN_PATH) ?? join(home, 'token')));
  const offline = options.offline ?? isTrue(env.HF_HUB_OFFLINE);
  return { endpoint, cacheDir, token, offline };
}
