// Code versions from module graphs: what the graph follows (imports, worker entry points), that a change
// to any reached file changes the version, and that nothing the bundler cannot see goes undeclared.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeGraphs, packageName, RUNTIME } from '../generator/code-version.ts';
import { PROJECT_ROOT } from '../generator/paths.ts';

function project(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'atlas-codever-'));
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text);
  }
  return root;
}

const sources: Record<string, string> = {
  'src/a.ts': `import { b } from './b.ts';\nimport sharp from 'sharp';\nimport { z } from 'zod';\nexport const a = () => [b, sharp, z];\n`,
  'src/b.ts': `export const b = 1;\n`,
  'src/pool.ts': `const W = new URL('./worker.ts', import.meta.url);\nexport const run = () => W;\n`,
  'src/worker.ts': `import { c } from './lib/c.ts';\nexport const go = () => import('./lazy.ts').then(() => c);\n`,
  'src/lib/c.ts': `export const c = 2;\n`,
  'src/lazy.ts': `export const lazy = 3;\n`,
  'src/other.ts': `export const other = 4;\n`,
};

describe('code graphs', () => {
  it('follow imports, literal dynamic imports and worker URLs; record only result-relevant packages', () => {
    const g = codeGraphs({ a: ['src/a.ts'], pool: ['src/pool.ts'] }, project(sources));
    expect(g.a.files).toEqual(['src/a.ts', 'src/b.ts']);
    expect(Object.keys(g.a.packages)).toEqual(['sharp']);
    expect(g.pool.files).toEqual(['src/lazy.ts', 'src/lib/c.ts', 'src/pool.ts', 'src/worker.ts']);
    expect(g.pool.packages).toEqual({});
  });

  it('change with one byte of any file they reach, and only then', () => {
    const base = codeGraphs({ a: ['src/a.ts'], pool: ['src/pool.ts'] }, project(sources));
    const same = codeGraphs({ a: ['src/a.ts'], pool: ['src/pool.ts'] }, project({ ...sources, 'src/other.ts': 'export const other = 5;\n' }));
    expect(same.a.version).toBe(base.a.version);
    expect(same.pool.version).toBe(base.pool.version);
    const changed = codeGraphs({ a: ['src/a.ts'], pool: ['src/pool.ts'] }, project({ ...sources, 'src/lib/c.ts': 'export const c = 3;\n' }));
    expect(changed.a.version).toBe(base.a.version);
    expect(changed.pool.version).not.toBe(base.pool.version);
  });

  it('fail loudly on an entry or a worker URL that does not exist', () => {
    expect(() => codeGraphs({ x: ['src/none.ts'] }, project(sources))).toThrow(/entry src\/none\.ts does not exist/);
    expect(() => codeGraphs({ x: ['src/p.ts'] }, project({ 'src/p.ts': `new URL('./gone.ts', import.meta.url);\n` }))).toThrow(/entry src\/gone\.ts does not exist/);
  });

  it('name packages by their root', () => {
    expect(packageName('@tensorflow/tfjs-backend-wasm/dist/x.js')).toBe('@tensorflow/tfjs-backend-wasm');
    expect(packageName('h5wasm/node')).toBe('h5wasm');
  });
});

/** Every .ts/.mjs file under generator/, relative to the project root. */
function generatorFiles(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(PROJECT_ROOT, rel), { withFileTypes: true })) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (/\.(ts|mts|mjs)$/.test(e.name)) out.push(r);
    }
  };
  walk('generator');
  return out.sort();
}

describe('what a bundler cannot see is declared', () => {
  // Files that use these for things that do not change results (the CLI is never a stage's code).
  const notResults: Record<string, string> = {
    'generator/paths.ts': 'defines projectFile',
    'generator/pipeline/versions.ts': "reads package.json's version, recorded in provenance only",
    'generator/pipeline/config-file.ts': 'imports the user config (not a stage)',
    'generator/pipeline/config.ts': 'imports config-file.ts lazily (not a stage)',
  };
  const files = generatorFiles().filter((f) => !f.startsWith('generator/cli/') && !(f in notResults));

  it('every dynamic import of a computed name is in RUNTIME', () => {
    const computed = files.filter((f) => /\bimport\(\s*(?!['"]|`[^`$]*`)/.test(readFileSync(path.join(PROJECT_ROOT, f), 'utf8')));
    expect(computed.length).toBeGreaterThan(0);
    for (const f of computed) expect(RUNTIME[f], `${f} imports a computed name: declare what it loads in RUNTIME (generator/code-version.ts)`).toBeDefined();
  });

  it('every project file read at run time is declared in RUNTIME', () => {
    for (const f of files) {
      const text = readFileSync(path.join(PROJECT_ROOT, f), 'utf8');
      for (const m of text.matchAll(/projectFile\(([^)]*)\)/g)) {
        const parts = [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]);
        expect(RUNTIME[f]?.files, `${f} reads ${parts.join('/')}: declare it in RUNTIME (generator/code-version.ts)`).toContain(parts.join('/'));
      }
    }
  });

  it('every declared file (or folder, which stands for its files) exists', () => {
    for (const [f, r] of Object.entries(RUNTIME)) {
      expect(() => readFileSync(path.join(PROJECT_ROOT, f)), f).not.toThrow();
      for (const d of r.files ?? []) expect(existsSync(path.join(PROJECT_ROOT, d)), d).toBe(true);
    }
  });

  it('the real graphs reach the worker threads and both engines', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'atlas-codever-real-'));
    cpSync(path.join(PROJECT_ROOT, 'generator'), path.join(root, 'generator'), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, 'data'), path.join(root, 'data'), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, 'models', 'cards'), path.join(root, 'models', 'cards'), { recursive: true });
    const g = codeGraphs({ pass: ['generator/dataset/index.ts'], fv: ['generator/optvis/visualize.ts'] }, root);
    for (const f of ['generator/dataset/worker.ts', 'generator/parallel/worker-entry.mjs', 'generator/parallel/worker.ts', 'generator/model/ort-engine.ts', 'generator/model/tfjs-engine.ts', 'generator/model/autodiff-rules.ts', 'data/imagenet_class_index.json', 'models/cards/squeezenet1.1.json']) {
      expect(g.pass.files).toContain(f);
    }
    expect(g.fv.files).toContain('generator/optvis/worker-task.ts');
    expect(Object.keys(g.pass.packages)).toEqual(expect.arrayContaining(['onnxruntime-node', '@tensorflow/tfjs', 'sharp', '@tensorflow/tfjs-node']));
  });
});
