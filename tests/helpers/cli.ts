// Runs the real `atlas` binary in a child process, as a user would.
import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../generator/paths.ts';
import { SHARED_DIR } from './shared.ts';
import path from 'node:path';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Async on purpose: a blocking spawn would starve vitest's worker RPC. */
export function atlas(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'atlas.mjs'), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ATLAS_MODELS_DIR: path.join(SHARED_DIR, 'models'), ATLAS_BACKEND: 'wasm', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
