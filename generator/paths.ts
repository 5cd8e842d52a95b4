// Where the project's own files and the user's data live. Environment variables win, so tests, CI and
// users with data elsewhere never need to copy anything into the project.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function modelsDir(): string {
  return process.env.ATLAS_MODELS_DIR ? path.resolve(process.env.ATLAS_MODELS_DIR) : path.join(PROJECT_ROOT, 'models');
}

export function projectFile(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}

/**
 * The caches under an output folder (the dataset stage's records, MACO's magnitude spectra). Here rather
 * than in dataset/cache.ts so that feature visualization's code version does not take in the dataset
 * cache's record format (an edit there would rerun every image).
 */
export function cacheDir(out: string): string {
  return path.join(out, '.cache');
}
