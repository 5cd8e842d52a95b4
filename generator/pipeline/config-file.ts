// Loads a config file from anywhere on disk. A .ts or .js file outside the project has no package.json
// saying "type": "module", so Node and tsx would load it as CommonJS, and its import of the project (ESM)
// fails ("Cannot require() ES Module ... in a cycle"). Instead the config is compiled to one ES module by
// esbuild: its own local files are bundled in, installed packages stay imports (absolute file URLs), and
// the project's modules are imported here, by this process's loader (tsx, or vitest in tests), and
// handed to the config: one instance of each. Relative paths in the config resolve from its folder.
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Message, Plugin } from 'esbuild';
import { AtlasError } from '../errors.ts';
import { PROJECT_ROOT } from '../paths.ts';

export const CONFIG_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'] as const;

const HINT = 'a config is a .ts/.mts/.js/.mjs file with `export default defineConfig({...})` (or a plain object), or a .json file';

function within(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Project modules a config imports, by file: filled before the config runs, read by its import stubs. */
const REGISTRY = Symbol.for('circuit-atlas.config-imports');
const registry = ((globalThis as Record<symbol, unknown>)[REGISTRY] ??= new Map<string, Record<string, unknown>>()) as Map<string, Record<string, unknown>>;

/**
 * Keeps node built-ins and installed packages as imports (by absolute URL: a data: URL has no folder to
 * resolve from), replaces the project's own modules by stubs re-exporting the instance this process
 * loaded, and bundles everything else (the config's own files).
 */
function externals(): Plugin {
  return {
    name: 'atlas-config-externals',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'atlas-project' }, async (args) => {
        const ns = (await import(pathToFileURL(args.path).href)) as Record<string, unknown>;
        registry.set(args.path, ns);
        const names = Object.keys(ns).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
        const m = `globalThis[Symbol.for(${JSON.stringify(REGISTRY.description)})].get(${JSON.stringify(args.path)})`;
        return { contents: `const m = ${m};\nexport const { ${names.join(', ')} } = m;\n${'default' in ns ? 'export default m.default;\n' : ''}`, loader: 'js' };
      });
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === 'entry-point' || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const r = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } });
        if (r.errors.length) return { errors: r.errors };
        if (r.path.split(path.sep).includes('node_modules')) return { path: pathToFileURL(r.path).href, external: true };
        return within(PROJECT_ROOT, r.path) ? { path: r.path, namespace: 'atlas-project' } : { path: r.path };
      });
    },
  };
}

function describe(messages: Message[]): string {
  return messages.map((m) => (m.location ? `  ${m.location.file}:${m.location.line}:${m.location.column + 1}: ${m.text}` : `  ${m.text}`)).join('\n');
}

async function compile(abs: string): Promise<string> {
  const esbuild = await import('esbuild');
  try {
    const r = await esbuild.build({
      entryPoints: [abs],
      absWorkingDir: path.dirname(abs),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Node's own resolution for packages (no "module" field or condition, which Node ignores).
      conditions: ['node'],
      mainFields: ['main'],
      // A config beside your analyses has no node_modules: packages fall back to the tool's own.
      nodePaths: [path.join(PROJECT_ROOT, 'node_modules')],
      logLevel: 'silent',
      // The config is evaluated from a data: URL; its import.meta still names the file.
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(abs).href), 'import.meta.dirname': JSON.stringify(path.dirname(abs)), 'import.meta.filename': JSON.stringify(abs) },
      plugins: [externals()],
    });
    return r.outputFiles[0].text;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    throw new AtlasError(`cannot compile config ${abs}:\n${errors?.length ? describe(errors) : (e as Error).message}`, HINT);
  }
}

/** The raw (unvalidated) value of a config file: its default export, or the parsed JSON. */
export async function readConfigFile(abs: string): Promise<unknown> {
  const ext = path.extname(abs);
  if (!(CONFIG_EXTENSIONS as readonly string[]).includes(ext)) throw new AtlasError(`config ${abs}: unsupported extension '${ext || '(none)'}'`, `use one of ${CONFIG_EXTENSIONS.join(', ')}`);
  if (ext === '.json') {
    try {
      return JSON.parse(readFileSync(abs, 'utf8'));
    } catch (e) {
      throw new AtlasError(`cannot read config ${abs}: ${(e as Error).message}`, HINT);
    }
  }
  const code = await compile(abs);
  let mod: { default?: unknown };
  try {
    mod = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { default?: unknown };
  } catch (e) {
    throw new AtlasError(`cannot load config ${abs}: ${(e as Error).message}`, HINT);
  }
  if (mod.default === undefined) throw new AtlasError(`config ${abs} has no default export`, HINT);
  return mod.default;
}
