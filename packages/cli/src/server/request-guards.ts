/**
 * Checks that keep a web page from driving a local server: the Host header must name this server (DNS
 * rebinding), a cross-origin Origin is refused (the CORS origin aside), and request bodies must be JSON
 * (a form or `text/plain` post is what a page can send without a CORS preflight).
 */
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { errorResponse, ServerRequestError } from './server-request-error';

/** Returns whether `host` is a loopback name or address (localhost, *.localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/** Returns the host name of a Host header value (`127.0.0.1:8000` → `127.0.0.1`, `[::1]:80` → `::1`), lower-cased. */
export function hostName(header: string): string {
  const value = header.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  const colon = value.indexOf(':');
  const name = colon === -1 || value.indexOf(':', colon + 1) !== -1 ? value : value.slice(0, colon);
  return name.replace(/\.$/, '');
}

/** Returns whether a Host header names a loopback host or one of `allowed` (`*` allows any). */
export function isAllowedHost(header: string, allowed: readonly string[]): boolean {
  const name = hostName(header);
  if (name === '') return false;
  return isLoopbackHost(name) || allowed.some((entry) => entry === '*' || entry.toLowerCase().replace(/\.$/, '') === name);
}

/** Options of {@link hostAndOriginGuard}. */
export interface HostGuardOptions {
  /** Host names accepted besides the loopback ones. */
  readonly allowedHosts: readonly string[];
  /** The origin allowed to call from a browser (CORS), if any. */
  readonly corsOrigin?: string;
}

function forbidden(message: string, hint: string): Response {
  return errorResponse(new ServerRequestError(message, { status: 403, type: 'permission_error', hint, headers: { connection: 'close' } }));
}

/**
 * Refuses (403) a request whose Host is not this server's (a DNS-rebinding page), or whose Origin is
 * another site than the server itself or the CORS origin.
 */
export function hostAndOriginGuard(options: HostGuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host');
    if (host !== undefined && !isAllowedHost(host, options.allowedHosts)) {
      return forbidden(
        `the Host header "${host.slice(0, 100)}" does not name this server`,
        'call the server by a loopback name (127.0.0.1, localhost), or start it with --allowed-hosts NAME to accept that name',
      );
    }
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      const sameOrigin = host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
      if (!sameOrigin && origin !== options.corsOrigin) {
        return forbidden(
          `requests from the web page at origin "${origin.slice(0, 100)}" are not allowed`,
          'start the server with --cors ORIGIN to allow that page',
        );
      }
    }
    await next();
  };
}

/** Refuses (415) a POST whose Content-Type is not JSON. */
export const jsonContentTypeGuard: MiddlewareHandler = async (c, next) => {
  if (c.req.method === 'POST') {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      return errorResponse(
        new ServerRequestError(`the request body must be JSON, got Content-Type "${type || 'none'}"`, {
          status: 415,
          hint: 'send the header "Content-Type: application/json"',
          headers: { connection: 'close' }, // the body is not read
        }),
      );
    }
  }
  await next();
};
