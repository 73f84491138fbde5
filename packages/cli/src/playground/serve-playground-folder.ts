import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';

/** A running static server of a playground folder. */
export interface PlaygroundFolderServer {
  /** The page's address, e.g. http://127.0.0.1:8080/. */
  readonly url: string;
  /** Stops the server (open connections are closed). */
  close(): Promise<void>;
}

/**
 * Serves the files of `folder` (a folder `writePlaygroundFolder` wrote) over HTTP on `host:port` (port 0:
 * any free port). Pages are cross-origin isolated (COOP/COEP headers), so onnxruntime-web may run its
 * wasm on several threads.
 */
export async function servePlaygroundFolder(folder: string, options: { host?: string; port?: number } = {}): Promise<PlaygroundFolderServer> {
  const host = options.host ?? '127.0.0.1';
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    c.header('Cross-Origin-Opener-Policy', 'same-origin');
    c.header('Cross-Origin-Embedder-Policy', 'require-corp');
    c.header('Cache-Control', 'no-cache');
  });
  app.use('*', serveStatic({ root: folder }));
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 8080 }, () => resolve(created as Server)) as Server;
    created.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    // Static files have no requests worth waiting for: idle keep-alive connections close at once.
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
