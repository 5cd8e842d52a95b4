// Synthetic stimuli: circles and rings, arcs (curves), lines, edges and ellipses, drawn with analytic
// antialiasing from exact distances. Pure functions: a shape (or several) in, an HWC RGB Float32Array in
// [0, 1] out, on a neutral grey or a seeded noise texture.
//
// Coordinates are continuous input pixels: pixel (row i, column j) covers [j, j+1] x [i, i+1], its centre
// is (j + 0.5, i + 0.5); x grows to the right, y downwards. Angles are in degrees, counter-clockwise as
// seen on screen, from the +x axis: the direction of angle t is (cos t, -sin t) in pixel coordinates.
//
// Antialiasing: strokes (rings, arcs, lines, ellipse outlines) take the exact distance t of the pixel
// centre to the stroke's centreline and cover overlap([t - 0.5, t + 0.5], [-w/2, w/2]) of the pixel, a
// 1-px box filter across the stroke, so that every stroke carries exactly `width` of ink per unit of
// length (also for widths below one pixel); filled shapes (discs, edges, filled ellipses) take the
// signed distance d (negative inside) and cover clamp(0.5 - d, 0, 1).
import { AtlasError } from '../errors.ts';

export type Rgb = [number, number, number];

interface At {
  /** Centre (x, y) in input pixels; default: the canvas centre (size / 2, size / 2). */
  cx?: number;
  cy?: number;
}

/** Ring of the given centreline radius and width, or a disc of that radius with `filled`. */
export interface CircleShape extends At {
  kind: 'circle';
  radius: number;
  width: number;
  filled?: boolean;
}

/**
 * A piece of a circle of curvature 1/R whose midpoint is at (cx, cy); `orientation` is the direction its
 * convex side faces (the outward normal at the midpoint: 0 = bulging right like ')', 90 = bulging up like
 * an arch), `length` the centreline length (clamped to the full circle), round caps. Curvature 0 is the
 * straight segment through (cx, cy) perpendicular to `orientation`.
 */
export interface ArcShape extends At {
  kind: 'arc';
  orientation: number;
  curvature: number;
  length: number;
  width: number;
}

/** A straight stroke through (cx, cy) along `orientation` (0 = horizontal, 90 = vertical; period 180), round caps. */
export interface LineShape extends At {
  kind: 'line';
  orientation: number;
  length: number;
  width: number;
}

/**
 * A step edge through (cx, cy): the foreground fills the half-plane the normal `orientation` points into
 * (0 = foreground on the right; period 360). `length` (along the edge) and `depth` (into the foreground)
 * bound it to a rectangle; both default to unbounded.
 */
export interface EdgeShape extends At {
  kind: 'edge';
  orientation: number;
  length?: number;
  depth?: number;
}

/**
 * Ellipse outline (or filled): semi-axis `radius` along `angle`, semi-axis `aspect * radius` across it.
 * aspect 1 is the circle of that radius.
 */
export interface EllipseShape extends At {
  kind: 'ellipse';
  radius: number;
  aspect: number;
  angle: number;
  width: number;
  filled?: boolean;
}

export type Shape = CircleShape | ArcShape | LineShape | EdgeShape | EllipseShape;
export type ShapeKind = Shape['kind'];
export const SHAPE_KINDS: readonly ShapeKind[] = ['circle', 'arc', 'line', 'edge', 'ellipse'];

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

export const DEFAULT_SIZE = 224;
const DEG = Math.PI / 180;

function fail(msg: string, hint?: string): never {
  throw new AtlasError(msg, hint);
}

function checkShape(s: Shape): void {
  const finite = (name: string, v: number | undefined) => {
    if (v !== undefined && !Number.isFinite(v)) fail(`${s.kind}: ${name} must be a finite number, got ${v}`);
  };
  const positive = (name: string, v: number) => {
    finite(name, v);
    if (!(v > 0)) fail(`${s.kind}: ${name} must be positive, got ${v}`);
  };
  finite('cx', s.cx);
  finite('cy', s.cy);
  switch (s.kind) {
    case 'circle':
      positive('radius', s.radius);
      if (!s.filled) positive('width', s.width);
      break;
    case 'arc':
      finite('orientation', s.orientation);
      finite('curvature', s.curvature);
      if (s.curvature < 0) fail(`arc: curvature must be >= 0, got ${s.curvature}`, 'turn the arc with orientation instead');
      positive('length', s.length);
      positive('width', s.width);
      break;
    case 'line':
      finite('orientation', s.orientation);
      positive('length', s.length);
      positive('width', s.width);
      break;
    case 'edge':
      finite('orientation', s.orientation);
      if (s.length !== undefined && !(s.length > 0)) fail(`edge: length must be positive, got ${s.length}`);
      if (s.depth !== undefined && !(s.depth > 0)) fail(`edge: depth must be positive, got ${s.depth}`);
      break;
    case 'ellipse':
      positive('radius', s.radius);
      positive('aspect', s.aspect);
      finite('angle', s.angle);
      if (!s.filled) positive('width', s.width);
      break;
  }
}

/** Fraction of a 1-px box [t - 0.5, t + 0.5] inside the band [-w/2, w/2] (t = distance to the centreline). */
export function strokeCoverage(t: number, width: number): number {
  const v = Math.min(t + 0.5, width / 2) - Math.max(t - 0.5, -width / 2);
  return v <= 0 ? 0 : v >= 1 ? 1 : v;
}

/** Coverage of a filled shape at signed distance d (negative inside). */
export function fillCoverage(d: number): number {
  const v = 0.5 - d;
  return v <= 0 ? 0 : v >= 1 ? 1 : v;
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let u = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  u = u < 0 ? 0 : u > 1 ? 1 : u;
  return Math.hypot(px - ax - u * dx, py - ay - u * dy);
}

/**
 * Distance from (y0, y1), y0, y1 >= 0, to the ellipse x0^2/e0^2 + x1^2/e1^2 = 1 with e0 >= e1 > 0
 * (D. Eberly, "Distance from a point to an ellipse, an ellipsoid, or a hyperellipsoid": bisection on the
 * root of the closest-point equation; exact to float precision).
 */
function ellipseDistanceQ1(e0: number, e1: number, y0: number, y1: number): number {
  if (y1 > 0) {
    if (y0 > 0) {
      const z0 = y0 / e0;
      const z1 = y1 / e1;
      let g = z0 * z0 + z1 * z1 - 1;
      if (g === 0) return 0;
      const r0 = (e0 / e1) ** 2;
      const n0 = r0 * z0;
      let s0 = z1 - 1;
      let s1 = g < 0 ? 0 : Math.hypot(n0, z1) - 1;
      let s = 0;
      for (let i = 0; i < 160; i++) {
        s = (s0 + s1) / 2;
        if (s === s0 || s === s1) break;
        const a = n0 / (s + r0);
        const b = z1 / (s + 1);
        g = a * a + b * b - 1;
        if (g > 0) s0 = s;
        else if (g < 0) s1 = s;
        else break;
      }
      const x0 = (r0 * y0) / (s + r0);
      const x1 = y1 / (s + 1);
      return Math.hypot(x0 - y0, x1 - y1);
    }
    return Math.abs(y1 - e1);
  }
  const numer0 = e0 * y0;
  const denom0 = e0 * e0 - e1 * e1;
  if (numer0 < denom0) {
    const xde0 = numer0 / denom0;
    const x0 = e0 * xde0;
    const x1 = e1 * Math.sqrt(Math.max(0, 1 - xde0 * xde0));
    return Math.hypot(x0 - y0, x1);
  }
  return Math.abs(y0 - e0);
}

/** Coverage function of one shape and the pixel box outside which it is zero. */
interface Plan {
  cover: (x: number, y: number) => number;
  box: [number, number, number, number]; // x0, y0, x1, y1 (input pixels)
}

function plan(s: Shape, size: number): Plan {
  checkShape(s);
  const cx = s.cx ?? size / 2;
  const cy = s.cy ?? size / 2;
  const all: Plan['box'] = [-Infinity, -Infinity, Infinity, Infinity];
  const around = (r: number): Plan['box'] => [cx - r - 1, cy - r - 1, cx + r + 1, cy + r + 1];
  switch (s.kind) {
    case 'circle': {
      const { radius: r, width: w } = s;
      if (s.filled) return { cover: (x, y) => fillCoverage(Math.hypot(x - cx, y - cy) - r), box: around(r) };
      return { cover: (x, y) => strokeCoverage(Math.abs(Math.hypot(x - cx, y - cy) - r), w), box: around(r + w / 2) };
    }
    case 'line': {
      const t = s.orientation * DEG;
      const ux = (Math.cos(t) * s.length) / 2;
      const uy = (-Math.sin(t) * s.length) / 2;
      const w = s.width;
      return { cover: (x, y) => strokeCoverage(segmentDistance(x, y, cx - ux, cy - uy, cx + ux, cy + uy), w), box: around(s.length / 2 + w / 2) };
    }
    case 'arc': {
      const t = s.orientation * DEG;
      const nx = Math.cos(t);
      const ny = -Math.sin(t);
      const w = s.width;
      const reach = s.length / 2 + w / 2;
      if (s.curvature * s.length < 1e-6) {
        // Straight: along the tangent (perpendicular to the normal).
        const ux = (-ny * s.length) / 2;
        const uy = (nx * s.length) / 2;
        return { cover: (x, y) => strokeCoverage(segmentDistance(x, y, cx - ux, cy - uy, cx + ux, cy + uy), w), box: around(reach) };
      }
      const R = 1 / s.curvature;
      const half = Math.min(Math.PI, s.length / (2 * R));
      const ox = cx - R * nx;
      const oy = cy - R * ny;
      // Endpoints: the normal turned by +-half around the circle's centre.
      const ends = [half, -half].map((a) => {
        const c = Math.cos(a);
        const si = Math.sin(a);
        return [ox + R * (c * nx - si * ny), oy + R * (si * nx + c * ny)];
      });
      return {
        cover: (x, y) => {
          const vx = x - ox;
          const vy = y - oy;
          const phi = Math.atan2(nx * vy - ny * vx, nx * vx + ny * vy);
          const d =
            Math.abs(phi) <= half
              ? Math.abs(Math.hypot(vx, vy) - R)
              : Math.min(Math.hypot(x - ends[0][0], y - ends[0][1]), Math.hypot(x - ends[1][0], y - ends[1][1]));
          return strokeCoverage(d, w);
        },
        box: around(Math.min(reach, 2 * R + w / 2)),
      };
    }
    case 'edge': {
      const t = s.orientation * DEG;
      const nx = Math.cos(t);
      const ny = -Math.sin(t);
      const hl = (s.length ?? Infinity) / 2;
      const depth = s.depth ?? Infinity;
      return {
        cover: (x, y) => {
          const a = (x - cx) * nx + (y - cy) * ny; // into the foreground
          const b = -(x - cx) * ny + (y - cy) * nx; // along the edge
          // Box [0, depth] x [-hl, hl] in (a, b): signed distance.
          const qa = Math.abs(a - depth / 2) - depth / 2;
          const qb = Math.abs(b) - hl;
          const qaa = Number.isFinite(qa) ? qa : -a; // depth = Infinity: the half-plane a >= 0
          const qbb = Number.isFinite(qb) ? qb : -Infinity;
          const outside = Math.hypot(Math.max(qaa, 0), Math.max(qbb, 0));
          const inside = Math.min(Math.max(qaa, qbb), 0);
          return fillCoverage(outside + inside);
        },
        box: Number.isFinite(hl) && Number.isFinite(depth) ? around(Math.hypot(hl, depth)) : all,
      };
    }
    case 'ellipse': {
      const t = s.angle * DEG;
      const c = Math.cos(t);
      const si = -Math.sin(t);
      // Semi-axis a along the angle, b across it; the distance routine wants e0 >= e1.
      const a = s.radius;
      const b = s.radius * s.aspect;
      const swap = b > a;
      const e0 = swap ? b : a;
      const e1 = swap ? a : b;
      const w = s.width;
      const dist = (x: number, y: number): { d: number; inside: boolean } => {
        const dx = x - cx;
        const dy = y - cy;
        let u = Math.abs(dx * c + dy * si);
        let v = Math.abs(-dx * si + dy * c);
        if (swap) [u, v] = [v, u];
        return { d: ellipseDistanceQ1(e0, e1, u, v), inside: (u / e0) ** 2 + (v / e1) ** 2 < 1 };
      };
      if (s.filled) {
        return {
          cover: (x, y) => {
            const { d, inside } = dist(x, y);
            return fillCoverage(inside ? -d : d);
          },
          box: around(e0),
        };
      }
      return { cover: (x, y) => strokeCoverage(dist(x, y).d, w), box: around(e0 + w / 2) };
    }
  }
}

/** Coverage in [0, 1] of the shapes (their union: the largest coverage), size x size, row-major. */
export function coverage(shapes: Shape | Shape[], size = DEFAULT_SIZE): Float32Array {
  checkSize(size);
  const out = new Float32Array(size * size);
  for (const s of Array.isArray(shapes) ? shapes : [shapes]) {
    const p = plan(s, size);
    const x0 = Math.max(0, Math.floor(p.box[0]));
    const y0 = Math.max(0, Math.floor(p.box[1]));
    const x1 = Math.min(size - 1, Math.ceil(p.box[2]));
    const y1 = Math.min(size - 1, Math.ceil(p.box[3]));
    for (let i = y0; i <= y1; i++) {
      for (let j = x0; j <= x1; j++) {
        const v = p.cover(j + 0.5, i + 0.5);
        if (v > out[i * size + j]) out[i * size + j] = v;
      }
    }
  }
  return out;
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size <= 0) fail(`canvas size must be a positive integer, got ${size}`);
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
  checkSize(size);
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
