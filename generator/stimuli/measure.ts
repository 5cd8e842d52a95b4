// Where a layer's unit sits and what it answers to a batch of stimuli: the unit whose receptive-field
// centre is nearest to the canvas centre, stimuli drawn centred exactly on that receptive-field centre,
// batches through engine.activations, and only that position read back.
//
// Canvas size: a unit's value depends only on the input inside its receptive field (a unit whose field
// lies wholly inside the image never sees the zero padding, at any depth), so a canvas that contains the
// field gives exactly the value a 224x224 canvas gives for the same stimulus around the same centre. The
// default 'auto' size is the smallest multiple of 2*stride holding the field with 2 strides of margin
// (at least 32 px): 64 px for block3_conv4 instead of 224, about 20x less compute.
import { AtlasError } from '../errors.ts';
import type { Engine } from '../model/engine.ts';
import { findLayer, layerShapes, type ModelSpec, type ReceptiveField, receptiveFields } from '../model/spec.ts';
import { requireLayers } from '../model/weights-check.ts';
import type { Background } from './background.ts';
import { renderStimulus, type Rgb } from './render.ts';
import type { Shape } from './shapes.ts';

export interface Probe {
  layer: string;
  /** Canvas side in input pixels. */
  size: number;
  /** [row, column] of the probed position in the layer's output. */
  position: [number, number];
  /** Input coordinates (x, y) of that unit's receptive-field centre: every stimulus is centred here. */
  centre: [number, number];
  rf: ReceptiveField;
  /** Channels of the layer. */
  channels: number;
  /** Whether the layer has a ReLU whose input is the pre-ReLU value (conv + relu); else pre = post. */
  relu: boolean;
  /** Whether the unit's receptive field lies inside the canvas (always so for 'auto'). */
  rfInside: boolean;
}

export type CanvasSize = number | 'auto';

export function autoSize(rf: ReceptiveField): number {
  const step = 2 * rf.stride;
  return Math.max(32, step * Math.ceil((rf.size + 4 * rf.stride) / step));
}

/** The probed unit position for a layer and canvas; fails (exit 2) for unknown, non-spatial or unloaded layers. */
export function probeFor(spec: ModelSpec, layer: string, size: CanvasSize = 'auto', available?: string[]): Probe {
  const l = findLayer(spec, layer);
  const rf = receptiveFields(spec).get(layer);
  if (!l || !rf || (l.kind !== 'conv' && l.kind !== 'pool')) {
    const spatial = [...receptiveFields(spec).keys()].filter((n) => !available || available.includes(n));
    throw new AtlasError(
      l ? `layer ${layer} is not a spatial (conv or pool) layer` : `unknown layer '${layer}' for ${spec.id}`,
      `stimuli probe conv and pool layers: ${spatial.join(', ')}`,
    );
  }
  if (available) requireLayers(spec, available, [layer]);
  const side = size === 'auto' ? autoSize(rf) : size;
  if (!Number.isInteger(side) || side <= 0) throw new AtlasError(`canvas size must be a positive integer or 'auto', got ${size}`);
  const shape = layerShapes(spec, side).get(layer)!;
  if (shape[0] < 1) throw new AtlasError(`a ${side}px canvas is too small for ${layer}`, `use --size auto or at least ${autoSize(rf)}`);
  // The unit whose centre offset + i * stride is nearest to the canvas centre (ties: the lower index).
  let i = Math.round((side / 2 - rf.offset) / rf.stride - 1e-9);
  i = Math.max(0, Math.min(shape[0] - 1, i));
  const c = rf.offset + i * rf.stride;
  return {
    layer,
    size: side,
    position: [i, i],
    centre: [c, c],
    rf,
    channels: shape[2],
    relu: l.kind === 'conv' && l.activation === 'relu',
    rfInside: c - rf.size / 2 >= 0 && c + rf.size / 2 <= side,
  };
}

export function checkUnit(probe: Probe, unit: number): void {
  if (!Number.isInteger(unit) || unit < 0 || unit >= probe.channels) {
    throw new AtlasError(`unit ${unit} is out of range for ${probe.layer}`, `${probe.layer} has units 0..${probe.channels - 1}`);
  }
}

/** One stimulus: shapes positioned relative to the receptive-field centre (cx, cy are offsets; default 0). */
export interface Stimulus {
  shapes: Shape | Shape[];
  /** Foreground colour of this stimulus (default: the measurement's colour). */
  color?: Rgb;
}

export interface MeasureOptions {
  /** Default: neutral grey. A noise background is anchored at the receptive-field centre. */
  background?: Background;
  /** Default foreground colour (default white). */
  color?: Rgb;
  contrast?: number;
  /** Images per engine call (default 32 for canvases up to 128 px, else 16). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface Responses {
  /** Units read, in the order of the columns. */
  units: number[];
  /** Row-major [stimulus][unit]. */
  pre: Float32Array;
  post: Float32Array;
}

function placed(s: Shape, centre: [number, number]): Shape {
  return { ...s, cx: centre[0] + (s.cx ?? 0), cy: centre[1] + (s.cy ?? 0) };
}

export function stimulusImage(probe: Probe, stim: Stimulus, opts: MeasureOptions = {}): Float32Array {
  const shapes = (Array.isArray(stim.shapes) ? stim.shapes : [stim.shapes]).map((s) => placed(s, probe.centre));
  const background: Background | undefined =
    opts.background?.kind === 'noise' ? { ...opts.background, origin: opts.background.origin ?? probe.centre } : opts.background;
  return renderStimulus(shapes, { size: probe.size, background, color: stim.color ?? opts.color, contrast: opts.contrast });
}

/**
 * Responses of the probed position to every stimulus: the given units, or all channels (units null).
 * Conv layers with a ReLU are run once, pre-ReLU, and post = max(pre, 0) (exactly what the engines
 * compute); other layers have no separate pre-ReLU value and report post for both.
 */
export async function measure(engine: Engine, probe: Probe, stimuli: Stimulus[], units: number[] | null, opts: MeasureOptions = {}): Promise<Responses> {
  const draw = (i: number) => {
    const img = stimulusImage(probe, stimuli[i], opts);
    for (let p = 0; p < img.length; p++) img[p] *= 255;
    return img;
  };
  return measureCanvases(engine, probe, stimuli.length, draw, units, opts);
}

/**
 * The probed position's responses to n canvases (probe.size square, RGB, 0..255 pixels, drawn on demand
 * by `canvas(i)`): the one measuring loop of synthetic stimuli and of transformed dataset examples (pose.ts).
 */
export async function measureCanvases(
  engine: Engine,
  probe: Probe,
  n: number,
  canvas: (i: number) => Float32Array,
  units: number[] | null,
  opts: Pick<MeasureOptions, 'batch' | 'onProgress'> = {},
): Promise<Responses> {
  const cols = units ?? Array.from({ length: probe.channels }, (_, c) => c);
  for (const u of cols) checkUnit(probe, u);
  const k = cols.length;
  const pre = new Float32Array(n * k);
  const post = new Float32Array(n * k);
  const size = probe.size;
  const batch = opts.batch ?? (size <= 128 ? 32 : 16);
  const [row, col] = probe.position;
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const data = new Float32Array(m * size * size * 3);
    for (let b = 0; b < m; b++) data.set(canvas(start + b), b * size * size * 3);
    const acts = await engine.activations({ data, shape: [m, size, size, 3] }, [probe.layer], { preRelu: probe.relu });
    const act = acts.get(probe.layer)!;
    const [, h, w, c] = act.shape;
    for (let b = 0; b < m; b++) {
      const base = ((b * h + row) * w + col) * c;
      for (let j = 0; j < k; j++) {
        const v = act.data[base + cols[j]];
        pre[(start + b) * k + j] = v;
        post[(start + b) * k + j] = probe.relu ? Math.max(0, v) : v;
      }
    }
    opts.onProgress?.(start + m, n);
  }
  return { units: cols, pre, post };
}

/** Default stroke width for a receptive field of side s: max(1, round(s / 16) / 2) px (1 px up to block3_conv2, 1.5 px for block3_conv3..4). */
export function baseWidth(rf: ReceptiveField): number {
  return Math.max(1, Math.round(rf.size / 16) / 2);
}

/** Default radii: 6 values, geometric from max(1.5, s/12) to s/2, rounded to 0.5 px. */
export function defaultRadii(rf: ReceptiveField, n = 6): number[] {
  const lo = Math.max(1.5, rf.size / 12);
  const hi = rf.size / 2;
  const out = Array.from({ length: n }, (_, i) => Math.round(2 * lo * (hi / lo) ** (i / (n - 1))) / 2);
  return [...new Set(out)];
}

/** n angles evenly over [0, period) degrees. */
export function angles(n: number, period: number): number[] {
  return Array.from({ length: n }, (_, i) => (period * i) / n);
}
