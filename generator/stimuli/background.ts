// Stimulus backgrounds: a flat grey, or smooth value noise (two octaves) anchored at a point, so that the
// texture around a receptive field is the same whatever the canvas size.
import { AtlasError } from '../errors.ts';
import { checkCanvasSize, DEFAULT_SIZE } from './shapes.ts';

export type Background =
  | { kind: 'grey'; level?: number }
  | {
      /** Smooth value noise (two octaves), the same around `origin` whatever the canvas size. */
      kind: 'noise';
      seed: number;
      /** Mean grey level (default 0.5). */
      level?: number;
      /** Peak deviation from the level (default 0.15). */
      amplitude?: number;
      /** Cell size of the coarse octave in pixels (default 8). */
      scale?: number;
      /** Independent noise per RGB channel (default: grey noise). */
      color?: boolean;
      /** Where the texture's lattice is anchored (default: the canvas centre). */
      origin?: [number, number];
    };

function fail(msg: string): never {
  throw new AtlasError(msg);
}

function hash2(seed: number, ix: number, iy: number, ch: number): number {
  let h = (seed ^ Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ Math.imul(ch + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 4294967295) * 2 - 1;
}

function valueNoise(seed: number, x: number, y: number, ch: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const fx = x - ix;
  const fy = y - iy;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const a = hash2(seed, ix, iy, ch);
  const b = hash2(seed, ix + 1, iy, ch);
  const c = hash2(seed, ix, iy + 1, ch);
  const d = hash2(seed, ix + 1, iy + 1, ch);
  return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy;
}

/** The background alone: size x size x 3, RGB in [0, 1]. */
export function background(bg: Background | undefined, size = DEFAULT_SIZE): Float32Array {
  checkCanvasSize(size);
  const out = new Float32Array(size * size * 3);
  if (!bg || bg.kind === 'grey') {
    const level = bg?.level ?? 0.5;
    if (!(level >= 0 && level <= 1)) fail(`background level must be in [0, 1], got ${level}`);
    return out.fill(level);
  }
  const level = bg.level ?? 0.5;
  const amp = bg.amplitude ?? 0.15;
  const scale = bg.scale ?? 8;
  if (!(scale > 0)) fail(`noise scale must be positive, got ${scale}`);
  const [ox, oy] = bg.origin ?? [size / 2, size / 2];
  const seed = bg.seed >>> 0;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const x = j + 0.5 - ox;
      const y = i + 0.5 - oy;
      for (let ch = 0; ch < 3; ch++) {
        const k = bg.color ? ch : 0;
        if (ch > 0 && !bg.color) {
          out[(i * size + j) * 3 + ch] = out[(i * size + j) * 3];
          continue;
        }
        const n = (2 / 3) * valueNoise(seed, x / scale, y / scale, k) + (1 / 3) * valueNoise(seed + 1, (2 * x) / scale, (2 * y) / scale, k);
        const v = level + amp * n;
        out[(i * size + j) * 3 + ch] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
  return out;
}

