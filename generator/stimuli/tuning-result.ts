// What `atlas tune` returns and the pipeline writes into unit.json (a contract: README, CLI table and
// generator/pipeline/schema.ts TuningJson), and the helpers that round and shape its parts. No runtime
// imports, so the schema (and through it the site) can read TUNE_STIMULI without the measuring code.
import type { Probe } from './measure.ts';
import type { Shape } from './shapes.ts';

export const TUNE_STIMULI = ['circle', 'arc', 'line', 'edge', 'ellipse'] as const;
export type TuneStimulus = (typeof TUNE_STIMULI)[number];

export interface Curve {
  angles: number[];
  pre: number[];
  post: number[];
  /** The stimulus being turned (orientation left out), relative to the receptive-field centre. */
  stimulus: Record<string, unknown>;
}

export interface Grid {
  rows: string;
  rowValues: number[];
  cols: string;
  colValues: number[];
  /** [row][col]. */
  pre: number[][];
  post: number[][];
}

export interface AspectSweep {
  radius: number;
  width: number;
  ellipseSize: 'major' | 'area';
  aspects: number[];
  angles: number[];
  /** Max over the angles, per aspect. */
  pre: number[];
  post: number[];
  /** [angle][aspect]. */
  preByAngle: number[][];
  postByAngle: number[][];
}

export interface TuneSummary {
  preferred: Record<string, unknown>;
  response: { pre: number; post: number };
  preferredOrientation: number;
  orientationPeriod: 180 | 360;
  orientationSelectivity: number | null;
  rotationInvariance: number | null;
  circleVsEllipse?: number | null;
  circleVsArc?: number | null;
  ringVsDisc?: number | null;
  curveVsLine?: number | null;
}

export interface TuneResult {
  model: string;
  layer: string;
  unit: number;
  stimulus: TuneStimulus;
  probe: { size: number; position: [number, number]; centre: [number, number]; rf: Probe['rf']; rfInside: boolean };
  params: Record<string, unknown>;
  orientation: Curve;
  grid?: Grid;
  /** circle: filled discs of the grid's radii (the blob control). */
  disc?: { radii: number[]; pre: number[]; post: number[] };
  aspect?: AspectSweep;
  summary: TuneSummary;
}

// The written numbers are rounded: responses to 5 decimals, indices and angles to 4.
export const round = (v: number, d = 4): number => Math.round(v * 10 ** d) / 10 ** d;
export const arr = (a: ArrayLike<number>): number[] => Array.from(a, (v) => round(v, 5));
export const nul = (v: number | null): number | null => (v === null ? null : round(v));

/** A shape as written: its centre offset only when it is not the receptive-field centre. */
export function strip(s: Shape): Record<string, unknown> {
  const { cx, cy, ...rest } = s as Shape & { cx?: number; cy?: number };
  const out: Record<string, unknown> = { ...rest };
  if (cx) out.cx = cx;
  if (cy) out.cy = cy;
  return out;
}

export function curveOf(anglesDeg: number[], pre: number[], post: number[], stim: Shape): Curve {
  return {
    angles: anglesDeg.map((a) => round(a)),
    pre: arr(pre),
    post: arr(post),
    stimulus: Object.fromEntries(Object.entries(strip(stim)).filter(([k]) => k !== 'orientation' && k !== 'angle')),
  };
}

export function gridOf(rows: string, rowValues: number[], cols: string, colValues: number[], g: { pre: number[][]; post: number[][] }): Grid {
  return {
    rows,
    rowValues: rowValues.map((v) => round(v, 6)),
    cols,
    colValues: colValues.map((v) => round(v, 4)),
    pre: g.pre.map(arr),
    post: g.post.map(arr),
  };
}
