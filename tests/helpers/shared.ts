// Locates the read-only shared data (weights, fixtures, dataset) for tests: $ATLAS_SHARED_DIR, else ../shared.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../generator/paths.ts';

export const SHARED_DIR = path.resolve(process.env.ATLAS_SHARED_DIR ?? path.join(PROJECT_ROOT, '..', 'shared'));

export function shared(...parts: string[]): string {
  const p = path.join(SHARED_DIR, ...parts);
  if (!existsSync(p)) {
    throw new Error(`test data missing: ${p}. Set ATLAS_SHARED_DIR to the shared data folder (it holds models/, datasets/, fixtures/).`);
  }
  return p;
}

export const NOTOP_WEIGHTS = () => shared('models', 'vgg19', 'vgg19_block1-3_notop.h5');
export const FIXTURES = () => shared('fixtures', 'vgg19');
