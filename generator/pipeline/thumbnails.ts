// Unit pictures for grids, lists and circuit-graph nodes: one small WebP per unit, so a layer page of 256
// units weighs a few hundred kB instead of the PNGs' megabytes. The best picture a unit has: its full
// channel visualization (downscaled), else its grid one (at its own size), else its MACO one, else its
// top dataset crop.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../fsutil.ts';
import type { FvEntry, UnitJson } from './schema.ts';

/** Largest side of a thumbnail, px (the layer grid shows them at 64-96 CSS px). */
export const THUMB_SIZE = 96;

function pick(fv: Record<string, FvEntry>): FvEntry | undefined {
  return fv.channel ?? Object.values(fv)[0];
}

/** Writes `<unitDir>/thumb.webp` when its bytes change; returns the unit's thumbnail entry. */
export async function unitThumbnail(
  out: string,
  unitDir: string,
  byRecipe: { full: Record<string, FvEntry>; grid: Record<string, FvEntry>; maco: Record<string, FvEntry> },
  crop: string | undefined,
): Promise<UnitJson['thumbnail']> {
  // The full Fourier image first (the atlas's look), else the grid's, else MACO's (a unit featured at MACO alone).
  const recipe = (['full', 'grid', 'maco'] as const).find((r) => pick(byRecipe[r]));
  if (!recipe) return crop ? { kind: 'example', file: crop } : null;
  const entry = pick(byRecipe[recipe])!;
  const src = path.join(out, entry.images[0].file);
  const file = `${unitDir}/thumb.webp`;
  const webp = await sharp(src)
    .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 90 })
    .toBuffer();
  const dest = path.join(out, file);
  if (!existsSync(dest) || !readFileSync(dest).equals(webp)) writeFileAtomic(dest, webp);
  return { kind: 'fv', file, recipe, size: Math.min(THUMB_SIZE, entry.settings.size) };
}
