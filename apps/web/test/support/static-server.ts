// Serves a built page directory on 127.0.0.1 (port 0). Pages open it as http://localhost:<port>: a secure context.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

export interface StaticServer extends AsyncDisposable {
  readonly url: string;
}

/** `spa`: unknown paths without a file extension get index.html (client-side routes like /m/<code>). */
export async function serveStatic(root: string, options: { spa?: boolean } = {}): Promise<StaticServer> {
  const server = http.createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const route = options.spa === true && req.method === 'GET' && extname(path) === '' ? '/index.html' : path;
    const file = join(root, route.endsWith('/') ? `${route}index.html` : route);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    [Symbol.asyncDispose]: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
