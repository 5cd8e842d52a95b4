// Ranks every unit of a layer by its selectivity for a stimulus family over lines: one batched pass over
// the family's stimuli, one over the lines and a small one over filled discs (a control), reading every
// channel at the probed position.
//
// For each unit, c = the largest post-ReLU response over the family's stimuli and l = the largest over
// the lines (same widths, both polarities, all orientations);
//   index = (c - l) / (c + l)   when c > 0 (at 5 decimals), else null (the unit is not ranked).
// Post-ReLU values are >= 0, so index is in [-1, 1]: +1 = only the family drives the unit, 0 = the best
// line drives it as much as the best family member. Units whose c is below `minResponse` x (the largest c
// of the layer) are flagged weak and ranked after the others (the index of a barely-firing unit is noise).
// `disc` is the largest response to filled discs of the circle radii: a unit with disc >= c answers to a
// blob, not to a contour (a thick ring is a blob too, hence rings need radius >= width).
//
// Stimuli (s = receptive-field size, w0 = baseWidth; widths w0, 2w0, 4w0; white and black on grey 0.5;
// everything centred on the receptive-field centre unless said otherwise):
// - circles: rings of radii defaultRadii(rf) (max(1.5, s/12) .. s/2) with radius >= width.
// - curves: arcs whose midpoint is the centre, `steps` orientations over 360, spans 45, 90, 135, 180
//   degrees, centreline lengths s/3 and 2s/3.
// - lines: long lines (length 2s, across the whole field), `steps` orientations over 180, through the
//   centre and offset perpendicular by +-s/8 and +-s/4 (a circle's contour is off-centre too); and
//   straight segments of the arcs' lengths (s/3, 2s/3) through the centre (an arc of curvature 0).
// - discs (control): filled discs of the circle radii.
import { AtlasError } from '../errors.ts';
import type { Engine } from '../model/engine.ts';
import type { ModelSpec } from '../model/spec.ts';
import { angles, baseWidth, type CanvasSize, defaultRadii, measure, type Probe, probeFor, type Responses, type Stimulus } from './measure.ts';
import type { Background } from './background.ts';
import type { Rgb } from './render.ts';
import type { Shape } from './shapes.ts';

export const FAMILIES = ['circles-vs-lines', 'curves-vs-lines'] as const;
export type Family = (typeof FAMILIES)[number];

export const SEARCH_ARC_SPANS = [45, 90, 135, 180];

export interface SearchOptions {
  layer: string;
  family: Family;
  size?: CanvasSize;
  /** Orientation steps (lines over 180, arcs over 360; default 24). */
  steps?: number;
  /** Units listed in `ranking` (default 20; Infinity = all). */
  top?: number;
  /** Fraction of the layer's largest c below which a unit is weak (default 0.1). */
  minResponse?: number;
  contrast?: number;
  background?: Background;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RankedUnit {
  rank: number;
  unit: number;
  index: number | null;
  /** Best post-ReLU response to the family (c) and to the lines (l). */
  target: number;
  line: number;
  /** Best post-ReLU response to a filled disc (control). */
  disc: number;
  weak: boolean;
  bestTarget: Record<string, unknown>;
  bestLine: Record<string, unknown>;
}

export interface SearchResult {
  model: string;
  layer: string;
  family: Family;
  probe: { size: number; position: [number, number]; centre: [number, number]; rf: Probe['rf']; rfInside: boolean };
  stimuli: { target: number; line: number; disc: number; description: { target: Record<string, unknown>; line: Record<string, unknown>; disc: Record<string, unknown> } };
  minResponse: number;
  units: number;
  ranking: RankedUnit[];
  /** Every unit, by index: the index (null when c = 0), c, l and the disc control. */
  all: { index: Array<number | null>; target: number[]; line: number[]; disc: number[] };
}

const WHITE: Rgb = [1, 1, 1];
const BLACK: Rgb = [0, 0, 0];
const round = (v: number, d = 5) => Math.round(v * 10 ** d) / 10 ** d;

interface Described extends Stimulus {
  params: Record<string, unknown>;
}

function withPolarity(shapes: Array<{ shape: Shape; params: Record<string, unknown> }>): Described[] {
  return [WHITE, BLACK].flatMap((color) =>
    shapes.map(({ shape, params }) => ({ shapes: shape, color, params: { ...params, color: color === WHITE ? 'white' : 'black' } })),
  );
}

export function familyStimuli(probe: Probe, family: 'circles' | 'curves' | 'lines' | 'discs', steps = 24): { stimuli: Described[]; description: Record<string, unknown> } {
  const s = probe.rf.size;
  const w0 = baseWidth(probe.rf);
  const widths = [w0, 2 * w0, 4 * w0];
  const out: Array<{ shape: Shape; params: Record<string, unknown> }> = [];
  const lengths = [s / 3, (2 * s) / 3].map((v) => round(v, 3));
  if (family === 'circles') {
    const radii = defaultRadii(probe.rf);
    for (const width of widths)
      for (const radius of radii) if (radius >= width) out.push({ shape: { kind: 'circle', radius, width }, params: { kind: 'circle', radius, width } });
    return { stimuli: withPolarity(out), description: { kind: 'circle', radii, widths, rule: 'radius >= width', colors: ['white', 'black'] } };
  }
  if (family === 'discs') {
    const radii = defaultRadii(probe.rf);
    for (const radius of radii) out.push({ shape: { kind: 'circle', radius, width: 0, filled: true }, params: { kind: 'disc', radius } });
    return { stimuli: withPolarity(out), description: { kind: 'disc', radii, colors: ['white', 'black'] } };
  }
  if (family === 'curves') {
    const orientations = angles(steps, 360);
    for (const width of widths)
      for (const length of lengths)
        for (const span of SEARCH_ARC_SPANS)
          for (const orientation of orientations) {
            const curvature = (span * Math.PI) / 180 / length;
            out.push({ shape: { kind: 'arc', orientation, curvature, length, width }, params: { kind: 'arc', orientation, curvature: round(curvature, 6), span, length, width } });
          }
    return { stimuli: withPolarity(out), description: { kind: 'arc', orientations: steps, spans: SEARCH_ARC_SPANS, lengths, widths, colors: ['white', 'black'] } };
  }
  const offsets = [0, s / 8, -s / 8, s / 4, -s / 4].map((v) => round(v, 3));
  const orientations = angles(steps, 180);
  const length = 2 * s;
  for (const width of widths)
    for (const offset of offsets)
      for (const orientation of orientations) {
        // Offset along the line's normal (orientation + 90).
        const t = ((orientation + 90) * Math.PI) / 180;
        out.push({
          shape: { kind: 'line', cx: offset * Math.cos(t), cy: -offset * Math.sin(t), orientation, length, width },
          params: { kind: 'line', orientation, offset, length, width },
        });
      }
  for (const width of widths)
    for (const segment of lengths)
      for (const orientation of orientations) {
        out.push({ shape: { kind: 'line', orientation, length: segment, width }, params: { kind: 'line', orientation, offset: 0, length: segment, width } });
      }
  return {
    stimuli: withPolarity(out),
    description: { kind: 'line', orientations: steps, offsets, length, segments: lengths, widths, colors: ['white', 'black'] },
  };
}

function bestPerUnit(r: Responses, n: number): { value: Float32Array; arg: Int32Array } {
  const k = r.units.length;
  const value = new Float32Array(k).fill(-Infinity);
  const arg = new Int32Array(k);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < k; j++) {
      const v = r.post[i * k + j];
      if (v > value[j]) {
        value[j] = v;
        arg[j] = i;
      }
    }
  return { value, arg };
}

/** The family's selectivity index of every unit of the layer, ranked. */
export async function searchLayer(engine: Engine, spec: ModelSpec, opts: SearchOptions): Promise<SearchResult> {
  if (!(FAMILIES as readonly string[]).includes(opts.family)) throw new AtlasError(`unknown family '${opts.family}'`, `use one of ${FAMILIES.join(', ')}`);
  const steps = opts.steps ?? 24;
  if (!Number.isInteger(steps) || steps < 4) throw new AtlasError(`steps must be an integer >= 4, got ${steps}`);
  const minResponse = opts.minResponse ?? 0.1;
  if (!(minResponse >= 0 && minResponse <= 1)) throw new AtlasError(`minResponse must be in [0, 1], got ${minResponse}`);
  const probe = probeFor(spec, opts.layer, opts.size ?? 'auto', engine.layers());
  const target = familyStimuli(probe, opts.family === 'circles-vs-lines' ? 'circles' : 'curves', steps);
  const lines = familyStimuli(probe, 'lines', steps);
  const discs = familyStimuli(probe, 'discs', steps);
  const total = target.stimuli.length + lines.stimuli.length + discs.stimuli.length;
  const mopts = { background: opts.background, contrast: opts.contrast, batch: opts.batch };
  const rt = await measure(engine, probe, target.stimuli, null, { ...mopts, onProgress: (d) => opts.onProgress?.(d, total) });
  const rl = await measure(engine, probe, lines.stimuli, null, { ...mopts, onProgress: (d) => opts.onProgress?.(target.stimuli.length + d, total) });
  const rd = await measure(engine, probe, discs.stimuli, null, {
    ...mopts,
    onProgress: (d) => opts.onProgress?.(target.stimuli.length + lines.stimuli.length + d, total),
  });
  const bt = bestPerUnit(rt, target.stimuli.length);
  const bd = bestPerUnit(rd, discs.stimuli.length);
  const bl = bestPerUnit(rl, lines.stimuli.length);
  const units = probe.channels;
  const cmax = Math.max(...bt.value);
  const rows = Array.from({ length: units }, (_, u) => {
    // Rounded as reported, so that float noise (1e-7 from an antisymmetric kernel) is no response.
    const c = round(bt.value[u]);
    const l = round(bl.value[u]);
    return {
      unit: u,
      index: c > 0 ? round((c - l) / (c + l), 4) : null,
      target: c,
      line: l,
      disc: round(bd.value[u]),
      weak: !(c > 0) || c < minResponse * cmax,
      bestTarget: target.stimuli[bt.arg[u]].params,
      bestLine: lines.stimuli[bl.arg[u]].params,
    };
  });
  const order = [...rows].sort((a, b) => {
    const ka = a.index === null ? 2 : a.weak ? 1 : 0;
    const kb = b.index === null ? 2 : b.weak ? 1 : 0;
    return ka - kb || (b.index ?? -2) - (a.index ?? -2) || b.target - a.target || a.unit - b.unit;
  });
  const top = opts.top ?? 20;
  return {
    model: spec.id,
    layer: opts.layer,
    family: opts.family,
    probe: { size: probe.size, position: probe.position, centre: probe.centre, rf: probe.rf, rfInside: probe.rfInside },
    stimuli: {
      target: target.stimuli.length,
      line: lines.stimuli.length,
      disc: discs.stimuli.length,
      description: { target: target.description, line: lines.description, disc: discs.description },
    },
    minResponse,
    units,
    ranking: order.slice(0, top).map((r, i) => ({ rank: i + 1, ...r })),
    all: { index: rows.map((r) => r.index), target: rows.map((r) => r.target), line: rows.map((r) => r.line), disc: rows.map((r) => r.disc) },
  };
}
