// How much of each pixel a shape covers, with analytic antialiasing from exact distances. Strokes
// (rings, arcs, lines, ellipse outlines) take the exact distance t of the pixel centre to the stroke's
// centreline and cover overlap([t - 0.5, t + 0.5], [-w/2, w/2]) of the pixel, a 1-px box filter across
// the stroke, so that every stroke carries exactly `width` of ink per unit of length (also for widths
// below one pixel); filled shapes (discs, edges, filled ellipses) take the signed distance d (negative
// inside) and cover clamp(0.5 - d, 0, 1).
import { checkCanvasSize, checkShape, DEFAULT_SIZE, type Shape } from './shapes.ts';

const DEG = Math.PI / 180;

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
  checkCanvasSize(size);
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

