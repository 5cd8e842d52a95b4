// Pose invariance on real images: a unit's top dataset examples, each cut out around the receptive field
// where the unit peaked, turned by 90, 180 and 270 degrees and mirrored about that field's centre, and
// measured on the tuning probe's canvas (measure.ts). Synthetic stimuli say how a unit answers a clean
// ring turned; this says whether what it found in photos still drives it when turned: the evidence for
// "pose invariance" that the research workflow's last step asks for.
//
// The window is the receptive field itself (one pixel more when its side's parity does not fit the centre),
// so the unit sees exactly the photo's pixels around its peak, turned: unturned, it reproduces the
// dataset value (`reproduced`). Examples whose field runs past the photo's edge are left out (`edge`
// counts them): there part of what the unit saw was the network's zero padding, which no cut-out holds.
import { atEdge } from '../dataset/edge.ts';
import { AtlasError } from '../errors.ts';
import type { Engine } from '../model/engine.ts';
import { loadImage } from '../model/image.ts';
import type { ModelSpec } from '../model/spec.ts';
import { checkUnit, measureCanvases, type Probe, probeFor } from './measure.ts';
import { median } from '../stats.ts';
import { POSES, type Pose } from './pose-names.ts';

export { POSES, type Pose } from './pose-names.ts';

/** Where pose p's pixel (row, col) of a w-wide window comes from in the unturned window (turns are clockwise). */
export function poseSource(p: Pose, row: number, col: number, w: number): [number, number] {
  switch (p) {
    case 'identity':
      return [row, col];
    case 'rot90':
      return [w - 1 - col, row];
    case 'rot180':
      return [w - 1 - row, w - 1 - col];
    case 'rot270':
      return [col, w - 1 - row];
    case 'mirror':
      return [row, w - 1 - col];
  }
}

export interface PoseExample {
  /** Absolute path of the image. */
  image: string;
  /** The unit's grid position there (its max). */
  x: number;
  y: number;
  /** The dataset pass's value there (post-ReLU max). */
  activation: number;
}

export interface PoseExampleResult {
  image: string;
  x: number;
  y: number;
  dataset: number;
  /** Post-ReLU response per pose, in POSES order. */
  post: number[];
}

export interface PoseResult {
  model: string;
  layer: string;
  unit: number;
  probe: Pick<Probe, 'size' | 'position' | 'centre' | 'rf'>;
  /** Side of the turned window in input pixels. */
  window: number;
  poses: Pose[];
  examples: PoseExampleResult[];
  /** Per pose, the median over examples of its response over the unturned one (examples the unit fires on). */
  retained: Record<Pose, number>;
  /** The least of `retained` over the turned and mirrored poses: "keeps at least this, however turned". */
  weakest: number;
  /** Median of the unturned response over the dataset value: 1 when the window holds all the unit saw. */
  reproduced: number;
  /** Top examples left out because their receptive field runs past the photo's edge. */
  edge: number;
}

const GREY = 127.5;

/** The window side: the field's, plus one when needed so that the window's centre is the field's centre. */
export function windowSide(probe: Probe): number {
  const w = Math.ceil(probe.rf.size);
  const start = probe.centre[0] - w / 2;
  return Number.isInteger(start) ? w : w + 1;
}

/** The canvas of one example in one pose: grey, with the turned window centred on the probe's field centre. */
export function poseCanvas(probe: Probe, image: { width: number; height: number; data: Float32Array }, fieldCentre: [number, number], w: number, pose: Pose): Float32Array {
  const size = probe.size;
  const out = new Float32Array(size * size * 3).fill(GREY);
  const x0 = Math.round(fieldCentre[0] - w / 2);
  const y0 = Math.round(fieldCentre[1] - w / 2);
  const cx0 = Math.round(probe.centre[0] - w / 2);
  const cy0 = Math.round(probe.centre[1] - w / 2);
  for (let row = 0; row < w; row++) {
    for (let col = 0; col < w; col++) {
      const [sr, sc] = poseSource(pose, row, col, w);
      const iy = y0 + sr;
      const ix = x0 + sc;
      const oy = cy0 + row;
      const ox = cx0 + col;
      if (oy < 0 || ox < 0 || oy >= size || ox >= size) continue;
      // Outside the photo stays grey: the window of a field at the border.
      if (iy < 0 || ix < 0 || iy >= image.height || ix >= image.width) continue;
      const o = (oy * size + ox) * 3;
      const i = (iy * image.width + ix) * 3;
      out[o] = image.data[i];
      out[o + 1] = image.data[i + 1];
      out[o + 2] = image.data[i + 2];
    }
  }
  return out;
}

export interface PoseOptions {
  layer: string;
  unit: number;
  examples: PoseExample[];
  onProgress?: (done: number, total: number) => void;
}

export async function poseInvariance(engine: Engine, spec: ModelSpec, opts: PoseOptions): Promise<PoseResult> {
  const { layer, unit } = opts;
  const probe = probeFor(spec, layer, 'auto', engine.layers());
  checkUnit(probe, unit);
  if (!opts.examples.length) throw new AtlasError(`${layer}:${unit} has no dataset examples to turn`, 'the unit fires on no image of the dataset; pose needs images it fires on');
  const w = windowSide(probe);
  const rf = probe.rf;
  const inside = opts.examples.filter((e) => !atEdge(rf, e.x, e.y, spec.inputSize));
  if (!inside.length) {
    throw new AtlasError(
      `${layer}:${unit}: all ${opts.examples.length} top dataset examples peak where the receptive field runs past the photo's edge`,
      'a turned cut-out cannot hold the padding the unit saw there; give pose more examples (examples.top in the config) or more images',
    );
  }
  const images = await Promise.all(inside.map((e) => loadImage(e.image, spec.inputSize)));
  const centres = inside.map((e): [number, number] => [rf.offset + e.x * rf.stride, rf.offset + e.y * rf.stride]);
  const n = inside.length * POSES.length;
  const canvas = (i: number) => poseCanvas(probe, images[Math.floor(i / POSES.length)], centres[Math.floor(i / POSES.length)], w, POSES[i % POSES.length]);
  const r = await measureCanvases(engine, probe, n, canvas, [unit], { onProgress: opts.onProgress });
  const examples = inside.map((e, j) => ({ image: e.image, x: e.x, y: e.y, dataset: e.activation, post: POSES.map((_, p) => r.post[j * POSES.length + p]) }));
  const firing = examples.filter((e) => e.post[0] > 0);
  const retained = Object.fromEntries(POSES.map((p, i) => [p, median(firing.map((e) => e.post[i] / e.post[0]))])) as Record<Pose, number>;
  return {
    model: spec.id,
    layer,
    unit,
    probe: { size: probe.size, position: probe.position, centre: probe.centre, rf },
    window: w,
    poses: [...POSES],
    examples,
    retained,
    weakest: Math.min(...POSES.filter((p) => p !== 'identity').map((p) => retained[p])),
    reproduced: median(examples.filter((e) => e.dataset > 0).map((e) => e.post[0] / e.dataset)),
    edge: opts.examples.length - inside.length,
  };
}
