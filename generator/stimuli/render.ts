// Synthetic stimuli: circles and rings, arcs (curves), lines, edges and ellipses (shapes.ts) on a
// neutral grey or a seeded noise texture (background.ts), drawn with analytic antialiasing
// (coverage.ts). Pure functions: a shape (or several) in, an HWC RGB Float32Array in [0, 1] out.
import { AtlasError } from '../errors.ts';
import { type Background, background } from './background.ts';
import { coverage } from './coverage.ts';
import { DEFAULT_SIZE, type Shape } from './shapes.ts';

export type Rgb = [number, number, number];

function fail(msg: string, hint?: string): never {
  throw new AtlasError(msg, hint);
}

export interface RenderOptions {
  /** Canvas side in pixels (default 224). */
  size?: number;
  /** Default: neutral grey 0.5. */
  background?: Background;
  /** Foreground RGB in [0, 1] (default white). */
  color?: Rgb;
  /** Fraction of the way from the background to `color` that full coverage reaches (default 1). */
  contrast?: number;
}

/**
 * The stimulus image: size x size x 3 (HWC), RGB in [0, 1]. Each pixel is
 * background + contrast * coverage * (color - background).
 */
export function renderStimulus(shapes: Shape | Shape[], opts: RenderOptions = {}): Float32Array {
  const size = opts.size ?? DEFAULT_SIZE;
  const color = opts.color ?? [1, 1, 1];
  const contrast = opts.contrast ?? 1;
  if (color.length !== 3 || color.some((v) => !(v >= 0 && v <= 1))) fail(`color must be three numbers in [0, 1], got ${color.join(',')}`);
  if (!(contrast >= 0 && contrast <= 1)) fail(`contrast must be in [0, 1], got ${contrast}`);
  const cov = coverage(shapes, size);
  const img = background(opts.background, size);
  for (let p = 0; p < cov.length; p++) {
    const a = cov[p] * contrast;
    if (a === 0) continue;
    for (let ch = 0; ch < 3; ch++) img[p * 3 + ch] += a * (color[ch] - img[p * 3 + ch]);
  }
  return img;
}

/** Parses 'white', 'black', 'grey', 'red', ... or 'r,g,b' (0..1) into an RGB triple. */
export function parseColor(value: string): Rgb {
  const named: Record<string, Rgb> = {
    white: [1, 1, 1],
    black: [0, 0, 0],
    red: [1, 0, 0],
    green: [0, 1, 0],
    blue: [0, 0, 1],
    yellow: [1, 1, 0],
  };
  const v = value.trim().toLowerCase();
  if (named[v]) return named[v];
  const parts = v.split(',').map(Number);
  if (parts.length !== 3 || parts.some((p) => !(p >= 0 && p <= 1))) {
    fail(`'${value}' is not a colour`, `use white, black, red, green, blue, yellow or three numbers in [0, 1] like 1,0.5,0`);
  }
  return parts as Rgb;
}
