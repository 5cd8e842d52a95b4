// The Astro integration that ties the site to the generated folder:
// - refuses to build (or serve) without generated data, saying how to make it;
// - serves the generated images under /atlas/ in dev, and links them into the build (dist/atlas/...)
//   at build end, keeping their paths (the JSON's paths are relative to the generated folder), the last
//   build's links kept where still right (image-links.ts);
// - runs Pagefind over the built HTML (dist/pagefind/), the search index of /search/.
import { readdir } from 'node:fs/promises';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import * as pagefind from 'pagefind';
import { asideDir, linkImages, setAside } from './image-links.ts';

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.webp': 'image/webp', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };
export const ASSET_DIR = 'atlas';

/** Every image below `dir` (relative paths), skipping dot folders (the generator's .cache). */
async function listImages(dir: string, rel = '', out: string[] = []): Promise<string[]> {
  // One accumulator, not push(...child): a full atlas holds ~200,000 images (SqueezeNet's), past the
  // argument limit of a spread call.
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) await listImages(dir, r, out);
    else if (IMAGE_TYPES[path.extname(e.name).toLowerCase()]) out.push(r);
  }
  return out;
}

export function missingDataMessage(dir: string): string {
  return [
    `circuit-atlas: no generated atlas data in ${dir} (no manifest.json).`,
    'The site is built from the generator\'s output. Generate it first, e.g.',
    '  npx atlas generate --config configs/ci.config.ts     (small CI atlas into generated-ci/; then ATLAS_GENERATED_DIR=generated-ci npm run build)',
    '  npx atlas generate --config <your atlas config>      (into generated/, the default)',
    'or point ATLAS_GENERATED_DIR at an existing generated folder.',
  ].join('\n');
}

export default function atlas(options: { generatedDir: string; search?: boolean }): AstroIntegration {
  const generated = options.generatedDir;
  let outDir: string | null = null;
  return {
    name: 'circuit-atlas',
    hooks: {
      'astro:config:setup': ({ command }) => {
        if ((command === 'build' || command === 'dev') && !existsSync(path.join(generated, 'manifest.json'))) {
          throw new Error(missingDataMessage(generated));
        }
      },
      'astro:server:setup': ({ server }) => {
        // Dev only: with trailingSlash 'always', Astro's dev router matches dynamic .json endpoints only
        // with a slash after them; the build writes /data/.../x.json files. Same URLs in both.
        server.middlewares.use((req, _res, next) => {
          const [p, q] = (req.url ?? '').split('?');
          if (p.startsWith('/data/') && p.endsWith('.json')) req.url = `${p}/${q === undefined ? '' : `?${q}`}`;
          next();
        });
        server.middlewares.use(`/${ASSET_DIR}/`, (req, res, next) => {
          const rel = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\/+/, '');
          const file = path.resolve(generated, rel);
          const type = IMAGE_TYPES[path.extname(file).toLowerCase()];
          if (!type || !file.startsWith(generated + path.sep) || rel.split('/').some((p) => p.startsWith('.')) || !existsSync(file) || !statSync(file).isFile()) {
            next();
            return;
          }
          res.setHeader('Content-Type', type);
          createReadStream(file).pipe(res);
        });
      },
      'astro:config:done': ({ config }) => {
        outDir = fileURLToPath(config.outDir);
      },
      'astro:build:start': async () => {
        // Before Astro empties the output folder: the last build's images wait beside it (image-links.ts).
        if (outDir) await setAside(outDir, ASSET_DIR);
      },
      'astro:build:done': async ({ dir, logger }) => {
        const built = fileURLToPath(dir);
        const images = await listImages(generated);
        const dest = path.join(built, ASSET_DIR);
        const r = await linkImages(generated, images, dest, asideDir(built));
        const kept = r.kept ? `kept ${r.kept} links of the last build, ` : '';
        logger.info(`${kept}linked ${r.linked}${r.copied ? ` and copied ${r.copied}` : ''} generated images${r.removed ? `, removed ${r.removed} the atlas no longer has` : ''}, from ${generated} into ${path.relative(process.cwd(), dest) || dest}/`);

        if (options.search === false) return;
        const { index, errors } = await pagefind.createIndex({});
        if (!index) throw new Error(`Pagefind could not start: ${errors.join('; ')}`);
        const added = await index.addDirectory({ path: built });
        if (added.errors.length) throw new Error(`Pagefind indexing failed: ${added.errors.join('; ')}`);
        const written = await index.writeFiles({ outputPath: path.join(built, 'pagefind') });
        if (written.errors.length) throw new Error(`Pagefind could not write its index: ${written.errors.join('; ')}`);
        await pagefind.close();
        logger.info(`search: Pagefind indexed ${added.page_count} pages into ${path.relative(process.cwd(), path.join(built, 'pagefind'))}/`);
      },
    },
  };
}
