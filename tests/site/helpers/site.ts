// Reading a built site from its files: pages, the links and images they reference, and their weight.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { resolveSitePath } from './server.ts';

export function walk(dir: string, ext: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, ext));
    else if (e.name.endsWith(ext)) out.push(p);
  }
  return out;
}

/** The URL path of a page file: dist/models/vgg19/index.html -> /models/vgg19/ */
export function pageUrl(dist: string, file: string): string {
  const rel = path.relative(dist, file).split(path.sep).join('/');
  return `/${rel.replace(/(^|\/)index\.html$/, '$1')}`;
}

export interface Ref {
  attr: string;
  value: string;
}

const decode = (s: string) => s.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');

/** Every URL a page references: links, images, scripts, stylesheets, island modules, Pagefind images. */
export function refsOf(html: string): Ref[] {
  const out: Ref[] = [];
  for (const m of html.matchAll(/\s(href|src|component-url|renderer-url|before-hydration-url)="([^"]*)"/g)) out.push({ attr: m[1], value: decode(m[2]) });
  for (const m of html.matchAll(/data-pagefind-meta="image:([^"]*)"/g)) out.push({ attr: 'pagefind-image', value: decode(m[1]) });
  return out;
}

export function idsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/\sid="([^"]*)"/g)].map((m) => decode(m[1])));
}

export function isInternal(u: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:/i.test(u) && !u.startsWith('//');
}

export interface Broken {
  page: string;
  ref: string;
  why: string;
}

/** Internal references that do not resolve to a file of the site (or to an id, for #fragments). */
export function brokenRefs(dist: string): { broken: Broken[]; checked: number; pages: number } {
  const pages = walk(dist, '.html');
  const idCache = new Map<string, Set<string>>();
  const ids = (file: string) => {
    let s = idCache.get(file);
    if (!s) idCache.set(file, (s = idsOf(readFileSync(file, 'utf8'))));
    return s;
  };
  const broken: Broken[] = [];
  let checked = 0;
  for (const file of pages) {
    const page = pageUrl(dist, file);
    const html = readFileSync(file, 'utf8');
    for (const { value } of refsOf(html)) {
      if (!isInternal(value) || value === '') continue;
      checked++;
      const u = new URL(value, `http://site${page}`);
      const target = u.pathname === page && value.startsWith('#') ? file : resolveSitePath(dist, u.pathname);
      if (!target) {
        const why = !u.pathname.endsWith('/') && !path.extname(u.pathname) ? 'page link without trailing slash' : 'no such file';
        broken.push({ page, ref: value, why });
        continue;
      }
      const frag = decodeURIComponent(u.hash.slice(1));
      if (frag && target.endsWith('.html') && !ids(target).has(frag)) broken.push({ page, ref: value, why: `no id "${frag}"` });
    }
  }
  return { broken, checked, pages: pages.length };
}

/** The JS a page loads: module scripts, island components and renderers, and their static imports. */
export function scriptsOf(dist: string, html: string): string[] {
  const seen = new Set<string>();
  const queue: string[] = [];
  for (const m of html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g)) queue.push(m[1]);
  for (const m of html.matchAll(/\s(?:component-url|renderer-url|before-hydration-url)="([^"]+)"/g)) queue.push(m[1]);
  while (queue.length) {
    const u = queue.shift()!;
    if (!isInternal(u)) continue;
    const file = resolveSitePath(dist, new URL(u, 'http://site/').pathname);
    if (!file || seen.has(file)) continue;
    seen.add(file);
    const js = readFileSync(file, 'utf8');
    for (const m of js.matchAll(/(?:import|from)\s*["']([^"']+\.js)["']/g)) queue.push(new URL(m[1], `http://site/${path.relative(dist, file)}`).pathname);
  }
  return [...seen];
}

export interface Weight {
  page: string;
  html: number;
  js: number;
  total: number;
}

/** HTML + JS bytes of every page (images excluded: they are lazy). */
export function pageWeights(dist: string): Weight[] {
  return walk(dist, '.html')
    .map((file) => {
      const html = readFileSync(file, 'utf8');
      const js = scriptsOf(dist, html).reduce((a, f) => a + statSync(f).size, 0);
      const size = statSync(file).size;
      return { page: pageUrl(dist, file), html: size, js, total: size + js };
    })
    .sort((a, b) => b.total - a.total);
}

export function readJson(file: string): unknown {
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}
