// The summary numbers of a tuning result. Definitions (see also the README):
//
// - preferred stimulus: the grid cell with the largest pre-ReLU response (the same cell as post-ReLU
//   whenever the unit fires at all; pre-ReLU still ranks stimuli of a silent unit).
// - orientation curve: the preferred stimulus turned through the orientation sweep.
// - preferredOrientation: the angle of the orientation curve's maximum (degrees).
// - orientationSelectivity: 1 - circular variance of the post-ReLU orientation curve r_k over angles
//   t_k, |sum r_k e^{i 2 pi t_k / P}| / sum r_k, with period P = 360 for arcs, edges and circle pieces
//   (single angle) and P = 180 for lines and ellipses (doubled angle). 0 = the same response at every
//   angle, 1 = a response at one angle only; null when the unit never fires on the curve.
// - rotationInvariance: min / max of the post-ReLU orientation curve; null when its max is 0. For a
//   circle, whose rotations are all the same image, the curve turns a 90-degree piece of the preferred
//   circle around its centre instead.
// - circleVsEllipse: (c - e) / (c + e), post-ReLU, c = the preferred circle, e = the best ellipse of the
//   same semi-major axis (ellipseSize 'major') or the same area ('area') with aspect <= 0.7, over the
//   aspect sweep's angles. +1: only circles drive it; -1: only ovals do; null when neither does.
// - circleVsArc (circle): (c - a) / (c + a), a = the best 90-degree piece of the preferred circle.
// - ringVsDisc (circle): (c - d) / (c + d), d = the best filled disc of the grid's radii: a unit that
//   answers blobs rather than contours has ringVsDisc <= 0. The preferred circle is chosen among rings
//   with radius >= width (with a hole); thicker cells stay in the grid.
// - curveVsLine (arc): (a - l) / (a + l), a = the best arc (curvature > 0), l = the best straight
//   segment (curvature 0) of the same length, width and centre.
import { type AspectSweep, type Curve, nul, type TuneSummary } from './tuning-result.ts';

/** Aspects at or below this count as ellipses ("ovals") for circleVsEllipse. */
export const OVAL_ASPECT = 0.7;

/** 1 - circular variance of non-negative responses r over angles (degrees) with the given period; null if sum r = 0. */
export function orientationSelectivity(anglesDeg: number[], r: number[], period: number): number | null {
  let sx = 0;
  let sy = 0;
  let sum = 0;
  anglesDeg.forEach((a, i) => {
    const v = Math.max(0, r[i]);
    const t = (2 * Math.PI * a) / period;
    sx += v * Math.cos(t);
    sy += v * Math.sin(t);
    sum += v;
  });
  return sum > 0 ? Math.hypot(sx, sy) / sum : null;
}

/** min / max of non-negative responses; null if the max is 0. */
export function rotationInvariance(r: number[]): number | null {
  const max = Math.max(...r);
  return max > 0 ? Math.max(0, Math.min(...r)) / max : null;
}

/** (a - b) / (a + b) for non-negative a, b; null if both are 0. */
export function contrastIndex(a: number, b: number): number | null {
  return a + b > 0 ? (a - b) / (a + b) : null;
}

/** Index of the largest value (the first on ties). */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

/** The orientation part of a summary: preferred angle (by pre-ReLU), selectivity and invariance (post-ReLU). */
export function orientationSummary(c: Curve, period: 180 | 360): Pick<TuneSummary, 'preferredOrientation' | 'orientationPeriod' | 'orientationSelectivity' | 'rotationInvariance'> {
  const k = argmax(c.pre);
  return {
    preferredOrientation: c.angles[k],
    orientationPeriod: period,
    orientationSelectivity: nul(orientationSelectivity(c.angles, c.post, period)),
    rotationInvariance: nul(rotationInvariance(c.post)),
  };
}

/** circleVsEllipse of a circle's post-ReLU response against the sweep's ovals; null without ovals. */
export function circleVsEllipse(sweep: AspectSweep, circlePost: number): number | null {
  const ovals = sweep.aspects.map((a, j) => (a <= OVAL_ASPECT + 1e-9 ? sweep.post[j] : -Infinity));
  const e = Math.max(...ovals);
  return e === -Infinity ? null : nul(contrastIndex(circlePost, e));
}
