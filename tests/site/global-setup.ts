// Builds the site once for the site tests, from the CI atlas (generated-ci/: VGG19 and SqueezeNet 1.1, generated
// or brought up to date first) and the fixture write-ups, into test-artifacts/site/dist: the last profile
// through `atlas run --site`, what `npm run atlas` runs, so its generation and build are tested end to end.
// ATLAS_SITE_DIST=<folder> skips the build and tests an existing one (it must have been built from the same
// data and write-ups); with ATLAS_GENERATED_DIR holding an atlas, that atlas is built as it is.
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

/**
 * Runs the CI profiles end to end, in order (incremental: seconds when they are up to date): `atlas generate`,
 * then `atlas run --site <outDir>` for the last, which builds the site from the folder they share.
 */
function generateAndBuild(dir: string, outDir: string, contentDir: string): void {
  const shared = process.env.ATLAS_SHARED_DIR ?? path.resolve(ROOT, '..', 'shared');
  const env = {
    ...process.env,
    ATLAS_MODELS_DIR: process.env.ATLAS_MODELS_DIR ?? path.join(shared, 'models'),
    ATLAS_DATASET_DIR: process.env.ATLAS_DATASET_DIR ?? path.join(shared, 'datasets', 'imagenet-sample'),
    ATLAS_CONTENT_DIR: contentDir,
    ASTRO_TELEMETRY_DISABLED: '1',
  };
  for (const [i, config] of CI_CONFIGS.entries()) {
    const last = i === CI_CONFIGS.length - 1;
    console.log(`site tests: ${last ? 'generating and building' : 'generating'} the CI atlas into ${dir} (${config}; up-to-date jobs are skipped)...`);
    const args = last ? ['run', '--config', path.join(ROOT, config), '--site', outDir] : ['generate', '--config', path.join(ROOT, config)];
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'atlas.mjs'), ...args], { cwd: ROOT, env, stdio: 'inherit' });
    if (r.status !== 0 || !existsSync(path.join(dir, 'manifest.json'))) {
      throw new Error(`site tests need a generated atlas in ${dir} and its site: \`atlas ${args[0]} --config ${config}\` failed (its output is above; set ATLAS_MODELS_DIR and ATLAS_DATASET_DIR).`);
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
  const outDir = path.join(ARTIFACTS, 'dist');
  const contentDir = path.join(FIXTURES, 'writeups');
  mkdirSync(ARTIFACTS, { recursive: true });
  const t = Date.now();
  if (process.env.ATLAS_GENERATED_DIR && existsSync(path.join(generatedDir, 'manifest.json'))) {
    // A given atlas is tested as it is.
    const r = buildSite({ outDir, generatedDir, contentDir });
    if (r.status !== 0) throw new Error(`site build failed:\n${r.output.slice(-4000)}`);
  } else generateAndBuild(generatedDir, outDir, contentDir);
  console.log(`site tests: the site is in ${path.relative(ROOT, outDir)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
  project.provide('siteDist', outDir);
}
