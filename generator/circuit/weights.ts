// The weights that wire a conv unit to the units before and after it. Everything here is a pure function
// over the Keras kernels as `readKerasWeights` returns them (row-major float32, [kh, kw, in, out]), so the
// only slow part of a circuit is loading the file.
import { AtlasError } from '../errors.ts';
import type { KerasWeights, LayerWeights } from '../model/keras-h5.ts';
import type { ModelSpec } from '../model/spec.ts';
import { requireLayers } from '../model/weights-check.ts';
import { graphConvSteps } from './graph-steps.ts';

/** Name of the network's input (the preprocessed image) when it is the source of a connection. */
export const INPUT_LAYER = 'input';
/** Keras 'caffe' preprocessing feeds the first conv B, G, R (in that order); an imported model, the order its card states. */
export const INPUT_LABELS = ['B', 'G', 'R'] as const;

export type Sign = 'excitatory' | 'inhibitory';
/** A spatial kernel as rows (y) of columns (x), in the file's orientation. */
export type Kernel = number[][];

export interface Connection {
  /** The layer of the other end: the source for inputs, the target for outputs. */
  layer: string;
  unit: number;
  /** Only for the image's channels: 'B', 'G' or 'R'. */
  label?: string;
  /** L2 norm, sum and max |w| of the kernel. */
  l2: number;
  sum: number;
  max: number;
  /** 'excitatory' when the kernel sums to more than 0. */
  sign: Sign;
  kernel: Kernel;
}

export interface Pool {
  name: string;
  size: number;
  stride: number;
}

/** A conv layer and what feeds it, with the pools in between. */
export interface ConvStep {
  name: string;
  /** The conv layer before (or INPUT_LAYER for the first conv). */
  source: string;
  /** The pools between `source` and this layer, in order (VGG: none or one 2x2/2). */
  pools: Pool[];
  /** The spec layer whose output is this conv's input tensor (the pool if any); null = the image. */
  inputTensor: string | null;
  inChannels: number;
  filters: number;
  kernel: number;
  /** Where input channels come from, in order: one segment, or the branches of a concatenation `source` (imported graphs). */
  sources: Array<{ layer: string; offset: number; count: number; labels?: readonly string[] }>;
  stride: number;
  /** Zero padding before the first row and column (VGG: 'same', (kernel - 1) / 2). */
  pad: number;
}

/**
 * The model's spatial conv layers in order, each with its source conv. Stops at the first layer that is
 * neither conv nor pool (flatten), after which "the conv before" no longer means anything.
 */
export function convSteps(spec: ModelSpec): ConvStep[] {
  if (spec.graph) return graphConvSteps(spec);
  const steps: ConvStep[] = [];
  let source = INPUT_LAYER;
  let channels = 3;
  let pools: Pool[] = [];
  let inputTensor: string | null = null;
  for (const l of spec.layers) {
    if (l.kind === 'conv') {
      const sources = [{ layer: source, offset: 0, count: channels, ...(source === INPUT_LAYER ? { labels: INPUT_LABELS } : {}) }];
      steps.push({ name: l.name, source, sources, pools, inputTensor, inChannels: channels, filters: l.filters, kernel: l.kernel, stride: 1, pad: (l.kernel - 1) / 2 });
      source = l.name;
      channels = l.filters;
      pools = [];
    } else if (l.kind === 'pool') {
      pools.push({ name: l.name, size: l.size, stride: l.stride });
    } else {
      break;
    }
    inputTensor = l.name;
  }
  return steps;
}

/** The step of `layer`, checked against the spec and the loaded weights (exit 2 with the choices). */
export function convStep(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, layer: string): ConvStep {
  const steps = convSteps(spec);
  const loaded = steps.filter((s) => weights.layers.has(s.name)).map((s) => s.name);
  const step = steps.find((s) => s.name === layer);
  if (!step) {
    const known = spec.layers.find((l) => l.name === layer);
    // A pool or dense layer is a real layer with no conv weights of its own: say so, not "unknown".
    throw new AtlasError(
      known ? `layer ${layer} is a ${known.kind} layer: circuits are the weights of a conv layer` : `unknown layer '${layer}' for ${spec.id}`,
      `circuits exist for the conv layers: ${loaded.join(', ')}`,
    );
  }
  requireLayers(spec, [...weights.layers.keys()], [layer], { choices: loaded, choicesLabel: 'available conv layers' });
  return step;
}

export function checkUnit(step: ConvStep, unit: number): void {
  if (!Number.isInteger(unit) || unit < 0 || unit >= step.filters) {
    throw new AtlasError(`unit ${unit} is out of range for ${step.name}: it has units 0..${step.filters - 1}`);
  }
}

/** The convs that `layer` feeds (through pools and concatenations), with the channel offset it has in each. */
export function nextSteps(spec: ModelSpec, layer: string): Array<{ step: ConvStep; offset: number }> {
  return convSteps(spec).flatMap((step) => step.sources.filter((s) => s.layer === layer).map((s) => ({ step, offset: s.offset })));
}

/** Input channel i of `step` as (layer, unit): the branch of a concatenation it comes from. */
export function sourceUnit(step: ConvStep, i: number): { layer: string; unit: number; label?: string } {
  const s = step.sources.find((x) => i >= x.offset && i < x.offset + x.count) ?? step.sources[0];
  return { layer: s.layer, unit: i - s.offset, ...(s.labels ? { label: s.labels[i - s.offset] } : {}) };
}

/** The connection from input channel i of `step`, named by its branch. */
export function inputConnection(step: ConvStep, i: number, m: KernelMeasures, kernel: Kernel): Connection {
  const { layer, unit, label } = sourceUnit(step, i);
  const c = connection(layer, unit, m, kernel, i);
  return label ? { ...c, label } : c;
}

/** Per-kernel measures for every channel on the other side of a unit, indexed by that channel. */
export interface KernelMeasures {
  l2: Float64Array;
  sum: Float64Array;
  max: Float64Array;
}

function measures(w: LayerWeights, fixed: number, along: 'in' | 'out'): KernelMeasures {
  const [kh, kw, cin, cout] = w.kernelShape;
  const n = along === 'in' ? cin : cout;
  const l2 = new Float64Array(n);
  const sum = new Float64Array(n);
  const max = new Float64Array(n);
  const k = w.kernel;
  for (let p = 0; p < kh * kw; p++) {
    for (let j = 0; j < n; j++) {
      const v = along === 'in' ? k[(p * cin + j) * cout + fixed] : k[(p * cin + fixed) * cout + j];
      l2[j] += v * v;
      sum[j] += v;
      const a = Math.abs(v);
      if (a > max[j]) max[j] = a;
    }
  }
  for (let j = 0; j < n; j++) l2[j] = Math.sqrt(l2[j]);
  return { l2, sum, max };
}

/** Measures of W[:, :, i, unit] for every input channel i. */
export function inputMeasures(w: LayerWeights, unit: number): KernelMeasures {
  return measures(w, unit, 'in');
}

/** Measures of W[:, :, unit, j] for every output channel j. */
export function outputMeasures(w: LayerWeights, unit: number): KernelMeasures {
  return measures(w, unit, 'out');
}

/** Largest |w| over all of a unit's input kernels: one colour scale for all its kernel pictures. */
export function inputMaxAbs(weights: Pick<KerasWeights, 'layers'>, layer: string, unit: number): number {
  return inputMeasures(weights.layers.get(layer)!, unit).max.reduce((m, v) => Math.max(m, v), 0);
}

/** The spatial kernel W[:, :, i, o] as rows (y) of columns (x). */
export function kernelOf(w: LayerWeights, i: number, o: number): Kernel {
  const [kh, kw, cin, cout] = w.kernelShape;
  const rows: Kernel = [];
  for (let y = 0; y < kh; y++) {
    const row: number[] = [];
    for (let x = 0; x < kw; x++) row.push(w.kernel[((y * kw + x) * cin + i) * cout + o]);
    rows.push(row);
  }
  return rows;
}

/**
 * Indices of the k largest values (descending), ties by index so that the order is reproducible; `keep`
 * filters first (e.g. positive sums only). k = Infinity returns all of them.
 */
export function rankIndices(values: ArrayLike<number>, k: number, keep: (v: number) => boolean = () => true): number[] {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (keep(values[i])) idx.push(i);
  idx.sort((a, b) => values[b] - values[a] || a - b);
  return idx.slice(0, k);
}

export function signOf(sum: number): Sign {
  return sum > 0 ? 'excitatory' : 'inhibitory';
}

export function unitLabel(layer: string, unit: number): string | undefined {
  return layer === INPUT_LAYER ? INPUT_LABELS[unit] : undefined;
}

/** The connection to `unit` of `layer`, from the measures at `index` (the unit's channel; its offset in a concatenation added). */
export function connection(layer: string, unit: number, m: KernelMeasures, kernel: Kernel, index = unit): Connection {
  const label = unitLabel(layer, unit);
  return { layer, unit, ...(label ? { label } : {}), l2: m.l2[index], sum: m.sum[index], max: m.max[index], sign: signOf(m.sum[index]), kernel };
}

export interface RankedConnections {
  /** Top-k by L2 norm. */
  inputs: Connection[];
  /** Top-k by sum among the positive sums, most positive first. */
  excitatory: Connection[];
  /** Top-k by sum among the negative sums, most negative first. */
  inhibitory: Connection[];
}

/** The top-k input connections of `unit` of conv `step` by L2 norm (what the circuit graph follows). */
export function strongestInputs(step: ConvStep, w: LayerWeights, unit: number, top: number): Connection[] {
  const m = inputMeasures(w, unit);
  return rankIndices(m.l2, top).map((i) => inputConnection(step, i, m, kernelOf(w, i, unit)));
}

/** The input connections of `unit` of conv `step`: all three rankings. */
export function inputConnections(step: ConvStep, w: LayerWeights, unit: number, top: number): RankedConnections {
  const m = inputMeasures(w, unit);
  const make = (i: number) => inputConnection(step, i, m, kernelOf(w, i, unit));
  const neg = Float64Array.from(m.sum, (s) => -s);
  return {
    inputs: rankIndices(m.l2, top).map(make),
    excitatory: rankIndices(m.sum, top, (s) => s > 0).map(make),
    inhibitory: rankIndices(neg, top, (s) => s > 0).map(make),
  };
}

/** The units of the next conv that `unit` feeds most strongly, by L2 norm of W_next[:, :, unit + offset, j] (offset: its place in a concatenation). */
export function outputConnections(next: ConvStep, wNext: LayerWeights, unit: number, top: number, offset = 0): Connection[] {
  const m = outputMeasures(wNext, unit + offset);
  return rankIndices(m.l2, top).map((j) => connection(next.name, j, m, kernelOf(wNext, unit + offset, j)));
}

export interface UnitConnections extends RankedConnections {
  layer: string;
  unit: number;
  /** Where the inputs come from (the conv before, or 'input'). */
  source: string;
  /** The conv(s) that the outputs go to ("fire4_expand1x1, fire4_expand3x3" for a squeeze unit); null when the spec has none after this layer. */
  target: string | null;
  outputs: Connection[];
  /** Why `outputs` is empty, when it is. */
  outputsNote?: string;
}

/** Inputs (three rankings) and outputs of one unit; `top` may be Infinity for all of them. */
export function unitConnections(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, layer: string, unit: number, top = 10): UnitConnections {
  const step = convStep(spec, weights, layer);
  checkUnit(step, unit);
  const ranked = inputConnections(step, weights.layers.get(layer)!, unit, top);
  const nexts = nextSteps(spec, layer);
  const next = nexts[0]?.step;
  let outputs: Connection[] = [];
  let outputsNote: string | undefined;
  if (!next) {
    outputsNote = `${layer} is the last conv layer of ${spec.id}: no conv units after it`;
  } else if (!weights.layers.has(next.name)) {
    // The last layer of a prefix file: its successor exists in the network but not in the weights.
    outputsNote = `${layer} feeds ${next.name}, which is not in the loaded weights: outputs are empty`;
  } else {
    // A unit feeding several convs (a squeeze unit: both expand convs) ranks their units together.
    const all = nexts.flatMap((n) => outputConnections(n.step, weights.layers.get(n.step.name)!, unit, top, n.offset));
    outputs = all.sort((a, b) => b.l2 - a.l2).slice(0, top);
  }
  // Several convs read a squeeze unit (both expand branches): the target names them all.
  const target = nexts.length ? [...new Set(nexts.map((n) => n.step.name))].join(', ') : null;
  return { layer, unit, source: step.source, target, ...ranked, outputs, ...(outputsNote ? { outputsNote } : {}) };
}
