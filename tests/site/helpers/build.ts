// Runs `astro build` of this project into a chosen folder, with chosen data and write-ups.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.ts';

export interface BuildResult {
  status: number | null;
  output: string;
}

type BuildOptions = { outDir: string; generatedDir: string; contentDir: string };

const buildEnv = (opts: BuildOptions) => ({
  ...process.env,
  ASTRO_TELEMETRY_DISABLED: '1',
  ATLAS_GENERATED_DIR: opts.generatedDir,
  ATLAS_CONTENT_DIR: opts.contentDir,
  NO_COLOR: '1',
  FORCE_COLOR: '0',
});

export function buildSite(opts: BuildOptions): BuildResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'astro', 'astro.js'), 'build', '--outDir', opts.outDir], {
    cwd: ROOT,
    env: buildEnv(opts),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  return { status: r.status, output: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}

/** The same, without blocking the test worker (several builds in one test file outlast vitest's RPC timeout). */
export function buildSiteAsync(opts: BuildOptions): Promise<BuildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules', 'astro', 'astro.js'), 'build', '--outDir', opts.outDir], {
      cwd: ROOT,
      env: buildEnv(opts),
      timeout: 15 * 60_000,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}
