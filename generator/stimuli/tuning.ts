// Tuning curves of one unit to synthetic stimuli (circle, arc, line, edge, ellipse), measured at the
// position whose receptive-field centre the stimuli are centred on (measure.ts), pre- and post-ReLU,
// with the summary numbers the atlas reports (their definitions: tuning-indices.ts). This file holds the
// sweeps of each stimulus family; tuning-sweep.ts runs them, tuning-result.ts is what they return.
import { AtlasError } from '../errors.ts';
import type { Engine } from '../model/engine.ts';
import type { ModelSpec } from '../model/spec.ts';
import { angles, baseWidth, type CanvasSize, checkUnit, defaultRadii, type MeasureOptions, probeFor } from './measure.ts';
import type { Background } from './background.ts';
import type { Rgb } from './render.ts';
import type { Shape } from './shapes.ts';
import { argmax, circleVsEllipse, contrastIndex, OVAL_ASPECT, orientationSummary } from './tuning-indices.ts';
import { arr, curveOf, gridOf, nul, round, strip, TUNE_STIMULI, type TuneResult, type TuneStimulus } from './tuning-result.ts';
import { ellipseAxes, Sweeper } from './tuning-sweep.ts';

export { contrastIndex, OVAL_ASPECT, orientationSelectivity, rotationInvariance } from './tuning-indices.ts';
export { TUNE_STIMULI, type TuneResult, type TuneStimulus } from './tuning-result.ts';

export const DEFAULT_ASPECTS = [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3];
/** Arc spans (degrees of a circle) of the default curvature grid, at the arc's fixed length. */
export const DEFAULT_ARC_SPANS = [45, 90, 135, 180, 270];

export interface TuneOptions {
  layer: string;
  unit: number;
  stimulus: TuneStimulus;
  /** Canvas side, or 'auto' (default): the smallest canvas holding the receptive field; same values as 224. */
  size?: CanvasSize;
  /** Orientation steps over the stimulus' period (360 for arcs, edges, circle pieces; 180 for lines, ellipses). Default 24. */
  steps?: number;
  /** circle: the radius grid; arc: curvature grid 1/r (plus 0); ellipse: candidate radii (the best circle's is used). */
  radii?: number[];
  /** Stroke widths: circle and line grids; arc and ellipse use the first. */
  widths?: number[];
  /** Arc and line centreline length (default: arc s/2, line 2s, s = receptive-field size). */
  length?: number;
  aspects?: number[];
  /** Angles of the circle's aspect sweep (evenly over 180 degrees; default 4). */
  aspectAngles?: number;
  /** What an ellipse "of the same size" as a circle of radius r keeps: its semi-major axis r (default) or its area (semi-axes r/sqrt(k), r*sqrt(k)). */
  ellipseSize?: 'major' | 'area';
  color?: Rgb;
  contrast?: number;
  background?: Background;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

function checkList(name: string, v: number[] | undefined, lo = 0): void {
  if (v === undefined) return;
  if (v.length === 0 || v.some((x) => !Number.isFinite(x) || x <= lo)) throw new AtlasError(`${name} must be a non-empty list of numbers > ${lo}, got ${v.join(',')}`);
}

/** Tuning curves of one unit to one stimulus family; everything through `engine.activations`, batched. */
export async function tuneUnit(engine: Engine, spec: ModelSpec, opts: TuneOptions): Promise<TuneResult> {
  if (!(TUNE_STIMULI as readonly string[]).includes(opts.stimulus)) {
    throw new AtlasError(`unknown stimulus '${opts.stimulus}'`, `use one of ${TUNE_STIMULI.join(', ')}`);
  }
  const probe = probeFor(spec, opts.layer, opts.size ?? 'auto', engine.layers());
  checkUnit(probe, opts.unit);
  const steps = opts.steps ?? 24;
  if (!Number.isInteger(steps) || steps < 4) throw new AtlasError(`steps must be an integer >= 4, got ${steps}`);
  checkList('radii', opts.radii);
  checkList('widths', opts.widths);
  checkList('aspects', opts.aspects);
  if (opts.aspects?.some((a) => a > 1)) throw new AtlasError('aspects must be in (0, 1]');
  if (opts.length !== undefined && !(opts.length > 0)) throw new AtlasError(`length must be positive, got ${opts.length}`);
  const s = probe.rf.size;
  const w0 = baseWidth(probe.rf);
  const width = opts.widths?.[0] ?? 2 * w0;
  const widths = opts.widths ?? [w0, 2 * w0, 4 * w0];
  const radii = opts.radii ?? defaultRadii(probe.rf);
  const aspects = opts.aspects ?? DEFAULT_ASPECTS;
  const ellipseSize = opts.ellipseSize ?? 'major';
  const mopts: MeasureOptions = { background: opts.background, color: opts.color, contrast: opts.contrast, batch: opts.batch };
  // All stimuli of a tune go through one progress count.
  const sweeper = new Sweeper(engine, probe, opts.unit, mopts, opts.onProgress);
  const run = sweeper.run.bind(sweeper);
  const sweepGrid = sweeper.grid.bind(sweeper);
  const aspectSweep = (radius: number, w: number, nAngles: number) => sweeper.aspectSweep(radius, w, nAngles, aspects, ellipseSize);

  const base: Omit<TuneResult, 'orientation' | 'summary' | 'params'> = {
    model: spec.id,
    layer: opts.layer,
    unit: opts.unit,
    stimulus: opts.stimulus,
    probe: { size: probe.size, position: probe.position, centre: probe.centre, rf: probe.rf, rfInside: probe.rfInside },
  };
  const common = {
    color: opts.color ?? [1, 1, 1],
    contrast: opts.contrast ?? 1,
    background: opts.background ?? { kind: 'grey', level: 0.5 },
    steps,
  };

  switch (opts.stimulus) {
    case 'arc': {
      const length = opts.length ?? s / 2;
      const curvatures = opts.radii ? [0, ...opts.radii.map((r) => 1 / r)] : [0, ...DEFAULT_ARC_SPANS.map((d) => (d * Math.PI) / 180 / length)];
      const angs = angles(steps, 360);
      sweeper.planned = curvatures.length * angs.length;
      const shape = (k: number, a: number): Shape => ({ kind: 'arc', orientation: a, curvature: k, length, width });
      const g = await sweepGrid(curvatures, angs, shape);
      // The preferred arc: curved rows only (row 0 is the straight segment, kept for curveVsLine).
      let bi = 1;
      let bj = 0;
      for (let i = 1; i < curvatures.length; i++) for (let j = 0; j < angs.length; j++) if (g.pre[i][j] > g.pre[bi][bj]) [bi, bj] = [i, j];
      const orientation = curveOf(angs, g.pre[bi], g.post[bi], shape(curvatures[bi], 0));
      const bestArc = Math.max(...g.post.slice(1).flat());
      const bestLine = Math.max(...g.post[0]);
      return {
        ...base,
        params: { ...common, length: round(length), width, curvatures: curvatures.map((k) => round(k, 6)) },
        orientation,
        grid: gridOf('curvature', curvatures, 'orientation', angs, g),
        summary: {
          preferred: strip(shape(round(curvatures[bi], 6), angs[bj])),
          response: { pre: round(g.pre[bi][bj], 5), post: round(g.post[bi][bj], 5) },
          ...orientationSummary(orientation, 360),
          curveVsLine: nul(contrastIndex(bestArc, bestLine)),
        },
      };
    }
    case 'line':
    case 'edge': {
      const isLine = opts.stimulus === 'line';
      const period = isLine ? 180 : 360;
      const angs = angles(steps, period);
      const length = opts.length ?? 2 * s;
      const rows = isLine ? widths : [0];
      sweeper.planned = rows.length * angs.length;
      const shape = (w: number, a: number): Shape =>
        isLine ? { kind: 'line', orientation: a, length, width: w } : { kind: 'edge', orientation: a, ...(opts.length ? { length } : {}) };
      const g = await sweepGrid(rows, angs, shape);
      const bi = argmax(g.pre.map((row) => Math.max(...row)));
      const bj = argmax(g.pre[bi]);
      const orientation = curveOf(angs, g.pre[bi], g.post[bi], shape(rows[bi], 0));
      return {
        ...base,
        params: { ...common, ...(isLine ? { length: round(length), widths } : opts.length ? { length } : {}) },
        orientation,
        ...(isLine ? { grid: gridOf('width', widths, 'orientation', angs, g) } : {}),
        summary: {
          preferred: strip(shape(rows[bi], angs[bj])),
          response: { pre: round(g.pre[bi][bj], 5), post: round(g.post[bi][bj], 5) },
          ...orientationSummary(orientation, period),
        },
      };
    }
    case 'circle': {
      const angs = angles(steps, 360);
      const nAsp = opts.aspectAngles ?? 4;
      sweeper.planned = widths.length * radii.length + radii.length + angs.length + nAsp * aspects.length;
      const ring = (w: number, r: number): Shape => ({ kind: 'circle', radius: r, width: w });
      const g = await sweepGrid(widths, radii, ring);
      // The preferred ring among rings with a hole (radius >= width): a thicker "ring" is a blob.
      let bi = -1;
      let bj = -1;
      widths.forEach((wi, i) =>
        radii.forEach((ri, j) => {
          if (ri >= wi && (bi < 0 || g.pre[i][j] > g.pre[bi][bj])) [bi, bj] = [i, j];
        }),
      );
      if (bi < 0) throw new AtlasError('no ring with radius >= width in the grid', 'give --radius values at least as large as the --width values');
      const [w, r] = [widths[bi], radii[bj]];
      const discs = await run(radii.map((rad) => ({ shapes: { kind: 'circle', radius: rad, width: 0, filled: true } as Shape })));
      // Pieces of the preferred circle: 90-degree arcs of it, midpoint at angle a on the circle.
      const piece = (a: number): Shape => {
        const t = (a * Math.PI) / 180;
        return { kind: 'arc', cx: r * Math.cos(t), cy: -r * Math.sin(t), orientation: a, curvature: 1 / r, length: (Math.PI * r) / 2, width: w };
      };
      const pieces = await run(angs.map((a) => ({ shapes: piece(a) })));
      const orientation = curveOf(angs, pieces.pre, pieces.post, { kind: 'arc', orientation: 0, curvature: 1 / r, length: (Math.PI * r) / 2, width: w });
      orientation.stimulus = { kind: 'circle piece', radius: r, span: 90, width: w };
      const aspect = await aspectSweep(r, w, nAsp);
      const c = g.post[bi][bj];
      return {
        ...base,
        params: { ...common, radii, widths, aspects, ellipseSize },
        orientation,
        grid: gridOf('width', widths, 'radius', radii, g),
        disc: { radii, pre: arr(discs.pre), post: arr(discs.post) },
        aspect,
        summary: {
          preferred: strip(ring(w, r)),
          response: { pre: round(g.pre[bi][bj], 5), post: round(c, 5) },
          ...orientationSummary(orientation, 360),
          circleVsEllipse: circleVsEllipse(aspect, c),
          circleVsArc: nul(contrastIndex(c, Math.max(...pieces.post))),
          ringVsDisc: nul(contrastIndex(c, Math.max(...discs.post))),
        },
      };
    }
    case 'ellipse': {
      const angs = angles(steps, 180);
      sweeper.planned = (radii.length > 1 ? radii.length : 0) + aspects.length * angs.length;
      let r = radii[0];
      if (radii.length > 1) {
        const scan = await run(radii.map((rad) => ({ shapes: { kind: 'circle', radius: rad, width } as Shape })));
        r = radii[argmax(scan.pre)];
      }
      const sweep = await aspectSweep(r, width, steps);
      // grid rows = aspects, cols = angles (transpose of the sweep's [angle][aspect]).
      const T = (m: number[][]) => aspects.map((_, j) => m.map((row) => row[j]));
      const g = { pre: T(sweep.preByAngle), post: T(sweep.postByAngle) };
      // The preferred ellipse among the ovals (aspect <= 0.7): turning a circle would show nothing.
      const ovalRows = aspects.map((a, i) => (a <= OVAL_ASPECT + 1e-9 ? i : -1)).filter((i) => i >= 0);
      const rowsForPref = ovalRows.length ? ovalRows : aspects.map((_, i) => i);
      let bi = rowsForPref[0];
      for (const i of rowsForPref) if (Math.max(...g.pre[i]) > Math.max(...g.pre[bi])) bi = i;
      const bj = argmax(g.pre[bi]);
      const shape = (k: number, a: number): Shape => ({ kind: 'ellipse', ...ellipseAxes(r, k, ellipseSize), angle: a, width });
      const orientation = curveOf(angs, g.pre[bi], g.post[bi], shape(aspects[bi], 0));
      const circleRow = aspects.findIndex((a) => a === 1);
      return {
        ...base,
        params: { ...common, radius: r, width, aspects, ellipseSize },
        orientation,
        grid: gridOf('aspect', aspects, 'angle', angs, g),
        aspect: { ...sweep, preByAngle: sweep.preByAngle, postByAngle: sweep.postByAngle },
        summary: {
          preferred: strip(shape(aspects[bi], angs[bj])),
          response: { pre: round(g.pre[bi][bj], 5), post: round(g.post[bi][bj], 5) },
          ...orientationSummary(orientation, 180),
          ...(circleRow >= 0 ? { circleVsEllipse: circleVsEllipse(sweep, Math.max(...g.post[circleRow])) } : {}),
        },
      };
    }
  }
}

