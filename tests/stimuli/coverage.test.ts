import { describe, expect, it } from 'vitest';
import { coverage, strokeCoverage } from '../../generator/stimuli/coverage.ts';

/** Intensity-weighted second moments of an image: centroid, principal angle (deg, screen CCW) and axis ratio. */
function moments(cov: Float32Array, size: number) {
  let m = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const v = cov[i * size + j];
      m += v;
      sx += v * (j + 0.5);
      sy += v * (i + 0.5);
    }
  const cx = sx / m;
  const cy = sy / m;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const v = cov[i * size + j];
      const dx = j + 0.5 - cx;
      const dy = i + 0.5 - cy;
      xx += v * dx * dx;
      yy += v * dy * dy;
      xy += v * dx * dy;
    }
  const tr = (xx + yy) / m;
  const det = (xx * yy - xy * xy) / (m * m);
  const l1 = tr / 2 + Math.sqrt((tr * tr) / 4 - det);
  const l2 = tr / 2 - Math.sqrt((tr * tr) / 4 - det);
  // Major axis angle in pixel coordinates, turned to the screen's counter-clockwise convention (y up).
  const angle = ((((-0.5 * Math.atan2(2 * xy, xx - yy) * 180) / Math.PI) % 180) + 180) % 180;
  return { mass: m, cx, cy, angle, ratio: Math.sqrt(l2 / l1) };
}

const angleDiff = (a: number, b: number, period: number) => {
  const d = (((a - b) % period) + period) % period;
  return Math.min(d, period - d);
};
describe('coverage', () => {
  it("gives back a ring's radius: the intensity-weighted mean distance from the centre is within 0.5 px (here 0.1)", () => {
    for (const [r, w, cx, cy] of [[37.3, 2, 101.7, 120.2], [12.6, 1, 60, 61.5], [60, 4.5, 112, 112], [5.2, 0.8, 30.3, 40.9]]) {
      const cov = coverage({ kind: 'circle', radius: r, width: w, cx, cy }, 224);
      let m = 0;
      let d = 0;
      cov.forEach((v, p) => {
        m += v;
        d += v * Math.hypot((p % 224) + 0.5 - cx, Math.floor(p / 224) + 0.5 - cy);
      });
      expect(Math.abs(d / m - r)).toBeLessThan(0.1);
      // Ink is conserved: width x circumference.
      expect(Math.abs(m - 2 * Math.PI * r * w) / (2 * Math.PI * r * w)).toBeLessThan(0.02);
    }
  });

  it("gives back a disc's area and a ring centred off the pixel grid", () => {
    const cov = coverage({ kind: 'circle', radius: 20.5, width: 0, filled: true, cx: 50.25, cy: 49.6 }, 100);
    const m = moments(cov, 100);
    expect(Math.abs(m.mass - Math.PI * 20.5 ** 2) / (Math.PI * 20.5 ** 2)).toBeLessThan(0.005);
    expect(Math.abs(m.cx - 50.25)).toBeLessThan(0.01);
    expect(Math.abs(m.cy - 49.6)).toBeLessThan(0.01);
  });

  it("gives back a line's orientation from second moments (within 0.5 deg), counter-clockwise on screen", () => {
    for (const t of [0, 17, 30, 45, 90, 133, 170]) {
      const m = moments(coverage({ kind: 'line', orientation: t, length: 150, width: 3 }, 224), 224);
      expect(angleDiff(m.angle, t, 180)).toBeLessThan(0.5);
    }
    // 30 degrees rises to the right: the upper (smaller y) end is on the right.
    const cov = coverage({ kind: 'line', orientation: 30, length: 100, width: 2, cx: 50, cy: 50 }, 100);
    expect(cov[Math.round(50 - 20) * 100 + Math.round(50 + 34.6)]).toBeGreaterThan(0.5);
    expect(cov[Math.round(50 + 20) * 100 + Math.round(50 + 34.6)]).toBe(0);
  });

  it("points an arc's convex side at its orientation; curvature 0 is the perpendicular segment", () => {
    for (const t of [0, 60, 90, 200, 315]) {
      const m = moments(coverage({ kind: 'arc', orientation: t, curvature: 1 / 25, length: 60, width: 2, cx: 112, cy: 112 }, 224), 224);
      // The arc's mass lies behind its midpoint: midpoint - centroid points along the orientation.
      const dir = (Math.atan2(-(112 - m.cy), 112 - m.cx) * 180) / Math.PI;
      expect(angleDiff(dir, t, 360)).toBeLessThan(0.5);
    }
    const straight = coverage({ kind: 'arc', orientation: 0, curvature: 0, length: 80, width: 2 }, 224);
    expect(angleDiff(moments(straight, 224).angle, 90, 180)).toBeLessThan(0.5);
    // A full circle when the length exceeds the circumference.
    const full = coverage({ kind: 'arc', orientation: 0, curvature: 1 / 10, length: 1000, width: 2 }, 100);
    const ring = coverage({ kind: 'circle', radius: 10, width: 2, cx: 40, cy: 50 }, 100);
    let diff = 0;
    full.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - ring[i]))));
    expect(diff).toBeLessThan(1e-5);
  });

  it('antialiases: edges carry intermediate values, exactly the covered fraction for an axis-aligned edge', () => {
    const cov = coverage({ kind: 'edge', orientation: 0, cx: 100.3 }, 200);
    expect(cov[50 * 200 + 99]).toBe(0);
    expect(cov[50 * 200 + 100]).toBeCloseTo(0.7, 6);
    expect(cov[50 * 200 + 101]).toBe(1);
    const disc = coverage({ kind: 'circle', radius: 30, width: 0, filled: true }, 100);
    const partial = [...disc].filter((v) => v > 0.05 && v < 0.95).length;
    expect(partial).toBeGreaterThan(100);
    const line = coverage({ kind: 'line', orientation: 23, length: 80, width: 1.5 }, 100);
    expect([...line].filter((v) => v > 0.05 && v < 0.95).length).toBeGreaterThan(50);
    // A thin stroke is fainter, not thicker: peak 0.4 for width 0.4.
    expect(strokeCoverage(0, 0.4)).toBeCloseTo(0.4, 6);
    expect(strokeCoverage(0, 3)).toBe(1);
  });

  it("gives back an ellipse's aspect and angle (filled: second moments; outline: extent)", () => {
    for (const [aspect, angle] of [[0.5, 30], [0.3, 100], [0.8, 0], [1, 45]]) {
      const m = moments(coverage({ kind: 'ellipse', radius: 60, aspect, angle, width: 0, filled: true }, 224), 224);
      expect(Math.abs(m.ratio - aspect)).toBeLessThan(0.01);
      if (aspect < 1) expect(angleDiff(m.angle, angle, 180)).toBeLessThan(0.5);
      expect(Math.abs(m.mass - Math.PI * 60 * 60 * aspect) / (Math.PI * 3600 * aspect)).toBeLessThan(0.005);
    }
    // Outline: its centreline passes at the semi-axes, along and across the angle.
    const cov = coverage({ kind: 'ellipse', radius: 50, aspect: 0.4, angle: 0, width: 2, cx: 100, cy: 100 }, 200);
    expect(cov[99 * 200 + 149]).toBeGreaterThan(0.9); // (149.5, 99.5): along x at 50
    expect(cov[79 * 200 + 99]).toBeGreaterThan(0.9); // (99.5, 79.5): across at 20
    expect(cov[99 * 200 + 99]).toBe(0);
    // aspect 1 is the circle.
    const e = coverage({ kind: 'ellipse', radius: 20, aspect: 1, angle: 33, width: 2 }, 64);
    const c = coverage({ kind: 'circle', radius: 20, width: 2 }, 64);
    expect(Math.max(...e.map((v, i) => Math.abs(v - c[i])))).toBeLessThan(1e-5);
  });
});
