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
