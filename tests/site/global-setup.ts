// Builds the site once for the site tests, from the CI atlas (generated-ci/: VGG19 and SqueezeNet 1.1, generated
// or brought up to date first) and the fixture write-ups, into test-artifacts/site/dist. ATLAS_SITE_DIST=<folder> skips the build and
// tests an existing one (it must have been built from the same data and write-ups).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildSite } from './helpers/build.ts';
import { ARTIFACTS, FIXTURES, ROOT } from './helpers/paths.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    siteDist: string;
    generatedDir: string;
  }
}

// The CI atlas is two models in one folder, as a multi-model atlas is made: VGG19's profile, then
// SqueezeNet 1.1's beside it (each generation keeps the other model's entries in the manifest).
const CI_CONFIGS = ['configs/ci.config.ts', 'configs/squeezenet-ci.config.ts'];

/** Runs the CI profiles end to end, in order (incremental: seconds when they are up to date). */
function ensureGenerated(dir: string): void {
  if (process.env.ATLAS_GENERATED_DIR && existsSync(path.join(dir, 'manifest.json'))) return; // a given atlas is tested as is
  const shared = process.env.ATLAS_SHARED_DIR ?? path.resolve(ROOT, '..', 'shared');
  const env = {
    ...process.env,
    ATLAS_MODELS_DIR: process.env.ATLAS_MODELS_DIR ?? path.join(shared, 'models'),
    ATLAS_DATASET_DIR: process.env.ATLAS_DATASET_DIR ?? path.join(shared, 'datasets', 'imagenet-sample'),
  };
  for (const config of CI_CONFIGS) {
    console.log(`site tests: generating the CI atlas into ${dir} (${config}; up-to-date jobs are skipped)...`);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'atlas.mjs'), 'generate', '--config', path.join(ROOT, config)], { cwd: ROOT, env, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(path.join(dir, 'manifest.json'))) {
      throw new Error(`site tests need a generated atlas in ${dir}: \`atlas generate --config ${config}\` failed (set ATLAS_MODELS_DIR and ATLAS_DATASET_DIR).`);
    }
  }
}

export default function setup(project: TestProject): void {
  const generatedDir = path.resolve(ROOT, process.env.ATLAS_GENERATED_DIR ?? 'generated-ci');
  project.provide('generatedDir', generatedDir);
  if (process.env.ATLAS_SITE_DIST) {
    project.provide('siteDist', path.resolve(ROOT, process.env.ATLAS_SITE_DIST));
    return;
  }
  ensureGenerated(generatedDir);
  const outDir = path.join(ARTIFACTS, 'dist');
  mkdirSync(ARTIFACTS, { recursive: true });
  const t = Date.now();
  const r = buildSite({ outDir, generatedDir, contentDir: path.join(FIXTURES, 'writeups') });
  if (r.status !== 0) throw new Error(`site build failed:\n${r.output.slice(-4000)}`);
  console.log(`site tests: built the site into ${path.relative(ROOT, outDir)} in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  project.provide('siteDist', outDir);
}
