// The shapes of synthetic stimuli and their checks. Coordinates are continuous input pixels: pixel
// (row i, column j) covers [j, j+1] x [i, i+1], its centre is (j + 0.5, i + 0.5); x grows to the right,
// y downwards. Angles are in degrees, counter-clockwise as seen on screen, from the +x axis: the
// direction of angle t is (cos t, -sin t) in pixel coordinates.
import { AtlasError } from '../errors.ts';

/** Canvas side in pixels unless a caller says otherwise (the network's input). */
export const DEFAULT_SIZE = 224;

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

export function checkCanvasSize(size: number): void {
  if (!Number.isInteger(size) || size <= 0) throw new AtlasError(`canvas size must be a positive integer, got ${size}`);
}

/** Throws (exit 2) naming the shape and the bad parameter. */
export function checkShape(s: Shape): void {
  const fail = (msg: string, hint?: string): never => {
    throw new AtlasError(msg, hint);
  };
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

