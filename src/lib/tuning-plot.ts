// Pure geometry for the tuning plots (unit page and <Tuning> embed): scaling the generated numbers into SVG
// coordinates, nothing else. Angles follow the stimulus renderer (generator/stimuli/render.ts): degrees
// counter-clockwise from +x as seen on screen, so angle t points to (cos t, -sin t) in SVG coordinates.

export interface PolarPlot {
  /** Closed SVG path of the response curve (empty when the unit never fires). */
  path: string;
  /** The curve's vertices, in order. */
  points: [number, number][];
  /** The largest response: the radius of the outer ring. */
  max: number;
}

const fmt = (v: number) => String(Math.round(v * 100) / 100);

/** The SVG point at `angle` degrees and distance `r` from (cx, cy). */
export function polarPoint(cx: number, cy: number, r: number, angle: number): [number, number] {
  const t = (angle * Math.PI) / 180;
  return [Number(fmt(cx + r * Math.cos(t))), Number(fmt(cy - r * Math.sin(t)))];
}

/**
 * A radial plot of non-negative responses over angles (degrees), scaled so that the largest response
 * reaches `radius`. With period 180 (lines, ellipses: a stimulus turned by 180 degrees is the same
 * stimulus) each angle is also drawn at angle + 180, so the curve goes all the way round.
 */
export function polarCurve(angles: number[], values: number[], period: number, cx: number, cy: number, radius: number): PolarPlot {
  if (angles.length !== values.length) throw new Error(`polarCurve: ${angles.length} angles but ${values.length} values`);
  const vs = values.map((v) => Math.max(0, v));
  const max = vs.length ? Math.max(...vs) : 0;
  if (!(max > 0)) return { path: '', points: [], max: 0 };
  let pairs = angles.map((a, i) => [a, vs[i]] as const);
  if (period === 180) pairs = [...pairs, ...pairs.map(([a, v]) => [a + 180, v] as const)];
  pairs = [...pairs].sort((p, q) => p[0] - q[0]);
  const points = pairs.map(([a, v]) => polarPoint(cx, cy, (v / max) * radius, a));
  const path = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fmt(x)},${fmt(y)}`).join(' ') + ' Z';
  return { path, points, max };
}

/**
 * Vertices of a line plot of `values` over `xs` in the box [left, top, right, bottom], y from 0 to `max`;
 * x runs from the largest value at the left to the smallest at the right (aspect 1, a circle, first).
 */
export function sweepPoints(xs: number[], values: number[], box: [number, number, number, number], max: number): [number, number][] {
  const [l, t, r, b] = box;
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x, i) => [
    Number(fmt(hi > lo ? l + ((hi - x) / (hi - lo)) * (r - l) : (l + r) / 2)),
    Number(fmt(max > 0 ? b - (Math.max(0, values[i]) / max) * (b - t) : b)),
  ]);
}
