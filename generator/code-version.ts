// Code versions derived from source content: the version of a piece of work (a pipeline stage, the
// dataset cache) is a hash of every project file its entry modules reach, the data files those read and
// the versions of the numeric libraries they import. Nobody has to remember to bump a number, and an
// edit to one stage's code reruns that stage alone.
//
// The module graph comes from esbuild's metafile (a bundle that is never written). What a bundler does
// not follow is handled here: a `new URL` of a literal relative path against import.meta.url (how
// worker-thread entry points are named) is followed as one more entry; dynamic imports of computed
// names and files read at run time are declared in RUNTIME below (tests/code-version.test.ts fails
// when one is not).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from './paths.ts';

/** Installed packages whose version can change results (numbers, decoded or encoded pixels). */
export const RESULT_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node', 'sharp'] as const;

/**
 * What a module reaches at run time that no static import says: files it reads and packages it imports
 * by a computed name. Keys and files are relative to the project root.
 */
export const RUNTIME: Record<string, { files?: string[]; packages?: string[]; why: string }> = {
  'generator/model/classes.ts': { files: ['data/imagenet_class_index.json'], why: 'reads the ImageNet class index (labels in examples and the model check)' },
  'generator/model/model-card.ts': {
    files: ['models/cards'],
    why: 'reads model cards; their settings are also in an imported model\'s weights identity (load.ts readWeights), which covers cards beside the .onnx',
  },
  'generator/model/backend.ts': { packages: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'], why: 'imports the native tfjs backends by a computed name' },
  'generator/parallel/worker.ts': { why: 'imports the task module it is given; task modules are found through their new URL(...) references' },
};

export interface CodeGraph {
  /** Project files reached, relative to the root, '/'-separated, sorted. */
  files: string[];
  /** Result-relevant packages imported, with their installed versions ('not installed' when absent). */
  packages: Record<string, string>;
  /** sha256 of all of the above. */
  version: string;
}

const WORKER_URL = /new URL\(\s*(['"])(\.{1,2}\/[^'"]+\.(?:ts|mts|mjs|js))\1\s*,\s*import\.meta\.url\s*\)/g;

/** The package a bare specifier names: '@scope/name/sub' -> '@scope/name', 'name/sub' -> 'name'. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function installedVersion(pkg: string): string {
  const file = path.join(PROJECT_ROOT, 'node_modules', pkg, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : 'not installed';
}

interface RawGraph {
  /** file -> project files it imports (static, literal dynamic, and new URL references). */
  edges: Map<string, Set<string>>;
  /** file -> bare packages it imports. */
  packages: Map<string, Set<string>>;
}

/** One esbuild pass over all entries (and the worker modules they reference), repeated until closed. */
function scan(root: string, entries: string[]): RawGraph {
  const edges = new Map<string, Set<string>>();
  const packages = new Map<string, Set<string>>();
  let todo = [...new Set(entries)];
  while (todo.length) {
    for (const e of todo) if (!existsSync(path.join(root, e))) throw new Error(`code version: entry ${e} does not exist under ${root}`);
    const r = buildSync({
      entryPoints: todo.map((e) => path.join(root, e)),
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      outdir: path.join(root, '.code-version'),
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const next: string[] = [];
    for (const [file, input] of Object.entries(r.metafile.inputs)) {
      if (edges.has(file)) continue;
      const to = new Set<string>();
      const pk = new Set<string>();
      for (const im of input.imports) {
        if (!im.external) to.add(im.path);
        else if (!im.path.startsWith('node:')) pk.add(packageName(im.path));
      }
      for (const m of readFileSync(path.join(root, file), 'utf8').matchAll(WORKER_URL)) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[2]));
        to.add(target);
        if (!(target in r.metafile.inputs) && !edges.has(target)) next.push(target);
      }
      edges.set(file, to);
      packages.set(file, pk);
    }
    todo = [...new Set(next)].filter((f) => !edges.has(f));
  }
  return { edges, packages };
}

function close(raw: RawGraph, entries: string[]): string[] {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const t of raw.edges.get(f) ?? []) stack.push(t);
  }
  return [...seen].sort();
}

/** A declared folder stands for every file in it (model cards), sorted; a file for itself. */
function expandDir(root: string, rel: string): string[] {
  const abs = path.join(root, rel);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) return [rel];
  return readdirSync(abs)
    .sort()
    .flatMap((e) => expandDir(root, `${rel}/${e}`));
}

function hashGraph(root: string, files: string[], raw: RawGraph): CodeGraph {
  const result = new Set<string>(RESULT_PACKAGES);
  const pkgs = new Set<string>();
  const data = new Set<string>();
  for (const f of files) {
    for (const p of raw.packages.get(f) ?? []) if (result.has(p)) pkgs.add(p);
    for (const p of RUNTIME[f]?.packages ?? []) pkgs.add(p);
    for (const d of RUNTIME[f]?.files ?? []) for (const x of expandDir(root, d)) data.add(x);
  }
  const all = [...new Set([...files, ...data])].sort();
  const packages = Object.fromEntries([...pkgs].sort().map((p) => [p, installedVersion(p)]));
  const h = createHash('sha256');
  for (const f of all) h.update(`${f}\0`).update(readFileSync(path.join(root, f))).update('\0');
  h.update(JSON.stringify(packages));
  return { files: all, packages, version: h.digest('hex') };
}

/**
 * The code graphs of named pieces of work, each given by its entry modules (relative to `root`). One
 * esbuild pass serves them all; results are cached per process (about 0.1-0.3 s per call otherwise).
 */
export function codeGraphs<K extends string>(named: Record<K, string[]>, root = PROJECT_ROOT): Record<K, CodeGraph> {
  const key = JSON.stringify([root, named]);
  const hit = cache.get(key);
  if (hit) return hit as Record<K, CodeGraph>;
  const raw = scan(root, Object.values<string[]>(named).flat());
  const out = Object.fromEntries(Object.entries<string[]>(named).map(([k, entries]) => [k, hashGraph(root, close(raw, entries), raw)])) as Record<K, CodeGraph>;
  cache.set(key, out);
  return out;
}

const cache = new Map<string, unknown>();
