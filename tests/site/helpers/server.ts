// A tiny static file server for a built site: directory URLs serve their index.html, unknown paths the
// site's 404.html with status 404. Enough for browser tests; `npm run preview` (astro preview) is the
// user-facing server.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.jpg': 'image/jpeg',
  '.wasm': 'application/wasm',
  '.pagefind': 'application/octet-stream',
  '.pf_meta': 'application/octet-stream',
  '.pf_index': 'application/octet-stream',
  '.pf_fragment': 'application/octet-stream',
  '.pf_filter': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  close: () => Promise<void>;
}

/** Resolves a URL path to a file of the site, or null. Directory paths need their trailing slash. */
export function resolveSitePath(root: string, urlPath: string): string | null {
  const rel = decodeURIComponent(urlPath.split(/[?#]/)[0]);
  const file = path.resolve(root, `.${rel}`);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  if (rel.endsWith('/')) {
    const index = path.join(file, 'index.html');
    return existsSync(index) ? index : null;
  }
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

export async function serveStatic(dir: string): Promise<StaticServer> {
  const root = path.resolve(dir);
  const server: Server = createServer((req, res) => {
    const urlPath = req.url ?? '/';
    let file = resolveSitePath(root, urlPath);
    let status = 200;
    if (!file && !urlPath.split('?')[0].endsWith('/') && resolveSitePath(root, `${urlPath.split('?')[0]}/`)) {
      res.writeHead(301, { Location: `${urlPath.split('?')[0]}/` });
      res.end();
      return;
    }
    if (!file) {
      status = 404;
      file = existsSync(path.join(root, '404.html')) ? path.join(root, '404.html') : null;
    }
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(status, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
