// Runs `astro build` of this project into a chosen folder, with chosen data and write-ups.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './paths.ts';

export interface BuildResult {
  status: number | null;
  output: string;
}

export function buildSite(opts: { outDir: string; generatedDir: string; contentDir: string }): BuildResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'astro', 'astro.js'), 'build', '--outDir', opts.outDir], {
    cwd: ROOT,
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', ATLAS_GENERATED_DIR: opts.generatedDir, ATLAS_CONTENT_DIR: opts.contentDir, NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  return { status: r.status, output: `${r.stdout ?? ''}\n${r.stderr ?? ''}` };
}
