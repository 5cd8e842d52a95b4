// The backward rule of each op the differentiator supports: given d(objective)/d(the node's first
// output), emit d(objective)/d(each input that needs one). Rules read the forward values (a ReLU's
// output, a pool's input) from the ValueMap and static shapes from inferShapes; they never bake in the
// batch (Reshape shapes use -1, zero tensors come from Shape of a forward value).
import { AtlasError } from '../errors.ts';
import { attrFloat, attrInt, attrInts, type IrConst, type IrGraph, type IrNode } from './ir.ts';
import type { ValueMap } from './ir-emit.ts';
import { windowOf, windowOutput, type Window } from './ir-shapes.ts';
import type { Attr, GraphBuilder } from './onnx-builder.ts';
import { MATH_RULES, unbroadcast } from './autodiff-math.ts';

export interface RuleContext {
  g: GraphBuilder;
  ir: IrGraph;
  values: ValueMap;
  /** Static shape of an IR value (throws if inferShapes did not give one). */
  shape(irValue: string): number[];
  /** A float constant of the IR graph (throws naming the node if the value is computed). */
  constant(n: IrNode, irValue: string, what: string): Extract<IrConst, { type: 'float' }>;
  /** A builder constant name unique to this node. */
  name(n: IrNode, what: string): string;
  zero: string;
  /** `v` where the bool tensor `cond` holds, else 0 (Max's sides, a ReLU's mask on a value that is not NCHW). */
  gate(cond: string, v: string): string;
  /** The node computing a value (undefined for the input and constants), and how many path nodes read it. */
  producer(irValue: string): IrNode | undefined;
  consumers(irValue: string): number;
  /** ReLU outputs whose mask a later rule applied already (see maxPool). */
  masked: Set<string>;
}

/** d/d(inputs[i]) for each input index, null where none is needed (constants, attributes). */
export type Rule = (c: RuleContext, n: IrNode, dy: string, needs: readonly boolean[]) => Array<string | null>;

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/**
 * Pads and output_padding of the ConvTranspose that spreads a window op's output (side `out`) back
 * over its input (side `input`) with exactly the input's side: the transposed op covers
 * s·(out-1) + (k-1)·d + 1 positions from -pad_begin; the end is cropped (a larger end pad, which also
 * drops a ceil-mode window's overhang) or extended (output_padding, < stride for a floor-mode conv).
 */
function transposeFit(w: Window, input: number, out: number, a: 0 | 1): { begin: number; end: number; extra: number } {
  const end = w.strides[a] * (out - 1) + (w.kernel[a] - 1) * w.dilations[a] + 1 - w.pads[a] - input;
  return end >= 0 ? { begin: w.pads[a], end, extra: 0 } : { begin: w.pads[a], end: 0, extra: -end };
}

function convTranspose(c: RuleContext, dy: string, weight: string, w: Window, x: number[], y: number[], group: number): string {
  const [h, v] = [transposeFit(w, x[2], y[2], 0), transposeFit(w, x[3], y[3], 1)];
  return c.g.op('ConvTranspose', [dy, weight], {
    kernel_shape: w.kernel,
    strides: w.strides,
    dilations: w.dilations,
    pads: [h.begin, v.begin, h.end, v.end],
    output_padding: [h.extra, v.extra],
    group,
  });
}

/** The input-gradient kernel of a grouped conv: per group, in/out swapped and flipped in space. */
function flippedKernel(w: Extract<IrConst, { type: 'float' }>, groups: number): { data: Float32Array; dims: number[] } {
  const [m, cg, kh, kw] = w.dims;
  const mg = m / groups;
  const out = new Float32Array(w.data.length);
  for (let gi = 0; gi < groups; gi++)
    for (let o = 0; o < mg; o++)
      for (let i = 0; i < cg; i++)
        for (let y = 0; y < kh; y++)
          for (let x = 0; x < kw; x++) {
            const src = (((gi * mg + o) * cg + i) * kh + y) * kw + x;
            out[(((gi * cg + i) * mg + o) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)] = w.data[src];
          }
  return { data: out, dims: [cg * groups, mg, kh, kw] };
}

/**
 * The same kernel for fed weights, built in the graph from them each run (a few thousand floats):
 * onnxruntime's ConvTranspose spreads a pruned conv's few channels back over all its inputs at about
 * 2 GFLOP/s (11.6 of a 16 ms block1_conv2 gradient run), its Conv on the flipped kernel far faster.
 */
function flippedFed(c: RuleContext, n: IrNode, weight: string, dims: number[], groups: number): string {
  const [m, cg, kh, kw] = dims;
  const mg = m / groups;
  const ints = (tag: string, v: number[]) => c.g.ints(c.name(n, tag), v);
  const perGroup = c.g.op('Reshape', [weight, ints('wgroups', [groups, mg, cg, kh, kw])]);
  const swapped = c.g.op('Transpose', [perGroup], { perm: [0, 2, 1, 3, 4] });
  const merged = c.g.op('Reshape', [swapped, ints('wswapped', [groups * cg, mg, kh, kw])]);
  // Steps of -1 from the last row and column through the first: the kernel flipped in space.
  return c.g.op('Slice', [merged, ints('wflip0', [-1, -1]), ints('wflip1', [-(kh + 1), -(kw + 1)]), ints('wflipaxes', [2, 3]), ints('wflipsteps', [-1, -1])]);
}

const conv: Rule = (c, n, dy, needs) => {
  if (needs[1] || needs[2]) throw new AtlasError(`node '${n.name}' (Conv): its weights depend on the input`, 'the differentiator needs constant conv weights');
  const [x, y] = [c.shape(n.inputs[0]), c.shape(n.outputs[0])];
  const wc = c.constant(n, n.inputs[1], 'weights');
  const w = windowOf(n, x.slice(2), wc.dims.slice(2));
  const group = attrInt(n, 'group', 1);
  const unit = w.strides.every((s) => s === 1) && w.dilations.every((d) => d === 1);
  const back = [0, 1].map((a) => w.kernel[a] - 1 - w.pads[a]).concat([0, 1].map((a) => w.kernel[a] - 1 - w.pads[a + 2]));
  if (unit && back.every((p) => p >= 0)) {
    // Stride 1: the adjoint is itself a conv (flipped kernel, complementary pads), cheaper than ConvTranspose;
    // fed weights change from run to run, so their flipped kernel is computed in the graph.
    let k: string;
    if (wc.fed) k = flippedFed(c, n, c.values.get(n.inputs[1]), wc.dims, group);
    else {
      const flipped = flippedKernel(wc, group);
      k = c.g.floats(c.name(n, 'wflip'), flipped.data, flipped.dims);
    }
    return [c.g.op('Conv', [dy, k], { kernel_shape: w.kernel, pads: back, group }), null, null];
  }
  return [convTranspose(c, dy, c.values.get(n.inputs[1]), w, x, y, group), null, null];
};

/** 2^100: a float32 at least 2^-100 away from 0 is at least 1 away after scaling by it. */
const STEP = 2 ** 100;

/**
 * scale * v + bias per channel of an NCHW value, as a 1x1 depthwise Conv: onnxruntime keeps it, and the
 * Clip or Relu after it (fused), in its NCHWc layout; around Greater, Equal or Cast it reorders a tensor
 * out of that layout and back.
 */
function channelAffine(c: RuleContext, v: string, channels: number, scale: number, bias?: number): string {
  const w = c.g.floats(`ad_scale_${scale}_${channels}`, new Float32Array(channels).fill(scale), [channels, 1, 1, 1]);
  const inputs = bias === undefined ? [v, w] : [v, w, c.g.floats(`ad_bias_${bias}_${channels}`, new Float32Array(channels).fill(bias), [channels])];
  return c.g.op('Conv', inputs, { group: channels, kernel_shape: [1, 1] });
}

/** A depthwise kernel [channels, 1, h, w]: 1 at tap (0, 0), 0 elsewhere. */
function oneHot(channels: number, h: number, w: number): Float32Array {
  const k = new Float32Array(channels * h * w);
  for (let i = 0; i < channels; i++) k[i * h * w] = 1;
  return k;
}

/**
 * `dy` where the non-negative IR value `v` (a ReLU's output) is above 0, else 0. For NCHW values the mask
 * is min(1, 2^100 v): exactly 0/1 for v = 0 and every v >= 2^-100 (a post-ReLU float32 between the two
 * would need a conv sum to cancel to 30 orders below its terms).
 */
function gatePositive(c: RuleContext, v: string, dy: string): string {
  const s = c.shape(v);
  const x = c.values.get(v);
  if (s.length !== 4) return c.gate(c.g.op('Greater', [x, c.zero]), dy);
  return c.g.op('Mul', [dy, c.g.op('Clip', [channelAffine(c, x, s[1], STEP), c.zero, c.g.floats('ad_one', Float32Array.of(1), [])])]);
}

// A ReLU that only feeds a tiled max-pool was masked by the pool's rule, at a quarter of the cost.
const relu: Rule = (c, n, dy) => [c.masked.has(n.outputs[0]) ? dy : gatePositive(c, n.outputs[0], dy)];

const transpose: Rule = (c, n, dy) => {
  const rank = c.shape(n.inputs[0]).length;
  const perm = attrInts(n, 'perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return [c.g.op('Transpose', [dy], { perm: inverse })];
};

const maxPool: Rule = (c, n, dy) => {
  const x = c.shape(n.inputs[0]);
  const w = windowOf(n, x.slice(2));
  const xv = c.values.get(n.inputs[0]);
  const [oh, ow] = [windowOutput(w, x[2], 0), windowOutput(w, x[3], 1)];
  const [k0, k1] = w.kernel;
  const tiled = k0 === w.strides[0] && k1 === w.strides[1] && w.pads.every((p) => p === 0) && w.dilations.every((d) => d === 1);
  if (tiled && oh * k0 <= x[2] && ow * k1 <= x[3]) {
    // Non-overlapping windows (VGG's): upsample max and gradient, route where the input equals its
    // window's max; rows and columns no window covers get zero (Pad, which onnxruntime folds into the
    // next conv's pads). When the pool alone reads a ReLU, that ReLU's mask is applied here on the pooled
    // values (at the argmax the input is positive exactly when the max is), and the ReLU's rule passes
    // the gradient through. Every op here is one onnxruntime keeps in its NCHWc layout (no Slice, Equal, Cast).
    const from = c.producer(n.inputs[0]);
    if (from?.op === 'Relu' && c.consumers(n.inputs[0]) === 1) {
      c.masked.add(n.inputs[0]);
      dy = gatePositive(c, n.outputs[0], dy);
    }
    const scales = c.g.floats(c.name(n, 'scales'), Float32Array.of(1, 1, k0, k1), [4]);
    const up = (t: string) => c.g.op('Resize', [t, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
    const [rh, rw] = [x[2] - oh * k0, x[3] - ow * k1];
    // The windows' part of the input: a depthwise conv whose kernel is 1 at its first tap and 0 elsewhere
    // drops the last rh rows and rw columns (exactly: x * 1 plus zeros).
    const covered = rh || rw ? c.g.op('Conv', [xv, c.g.floats(`ad_crop_${x[1]}_${rh}_${rw}`, oneHot(x[1], rh + 1, rw + 1), [x[1], 1, rh + 1, rw + 1])], { group: x[1], kernel_shape: [rh + 1, rw + 1] }) : xv;
    // x - its window's max is 0 at the max and negative elsewhere, so Relu(1 + 2^100 (x - max)) routes
    // exactly (as Equal would, ties included) wherever the two differ by at least 2^-100.
    const d = c.g.op('Add', [covered, up(channelAffine(c, c.values.get(n.outputs[0]), x[1], -1))]);
    const routed = c.g.op('Mul', [up(dy), c.g.op('Relu', [channelAffine(c, d, x[1], STEP, 1)])]);
    return [rh || rw ? c.g.op('Pad', [routed, c.g.ints(c.name(n, 'pads'), [0, 0, 0, 0, 0, 0, rh, rw])]) : routed];
  }
  // Overlapping windows: the argmax of each window (onnxruntime's indices are into the whole flattened
  // tensor, batch and channel included) receives the window's gradient; ScatterElements 'add' sums
  // the gradients of an input that is the max of several windows.
  const attrs: Record<string, Attr> = { ...n.attrs, storage_order: 0 };
  const [, indices] = c.g.node('MaxPool', [xv], attrs, 2);
  const flat = c.g.ints('ad_flat', [-1]);
  const zeros = c.g.op('Reshape', [c.g.op('ConstantOfShape', [c.g.op('Shape', [xv])]), flat]);
  const flatIdx = c.g.op('Reshape', [indices, flat]);
  const sum = c.g.op('ScatterElements', [zeros, flatIdx, c.g.op('Reshape', [dy, flat])], { axis: 0, reduction: 'add' });
  return [c.g.op('Reshape', [sum, c.g.op('Shape', [xv])])];
};

const averagePool: Rule = (c, n, dy) => {
  const [x, y] = [c.shape(n.inputs[0]), c.shape(n.outputs[0])];
  const w = windowOf(n, x.slice(2));
  const includePad = attrInt(n, 'count_include_pad', 0) === 1;
  // Each output divides its window's sum by a count: the window clipped to the input, or (padding
  // included) to the padded input, as onnxruntime does for a ceil-mode window's overhang.
  const inv = new Float32Array(y[2] * y[3]);
  const side = (i: number, a: 0 | 1) => {
    const start = i * w.strides[a] - w.pads[a];
    const end = start + w.kernel[a];
    const [lo, hi] = includePad ? [-w.pads[a], x[a + 2] + w.pads[a + 2]] : [0, x[a + 2]];
    return Math.min(end, hi) - Math.max(start, lo);
  };
  for (let i = 0; i < y[2]; i++) for (let j = 0; j < y[3]; j++) inv[i * y[3] + j] = 1 / (side(i, 0) * side(j, 1));
  const scaled = c.g.op('Mul', [dy, c.g.floats(c.name(n, 'invcount'), inv, [1, 1, y[2], y[3]])]);
  const ones = c.g.floats(c.name(n, 'ones'), new Float32Array(x[1] * w.kernel[0] * w.kernel[1]).fill(1), [x[1], 1, ...w.kernel]);
  return [convTranspose(c, scaled, ones, w, x, y, x[1])];
};

const globalAveragePool: Rule = (c, n, dy) => {
  const x = c.shape(n.inputs[0]);
  const inv = c.g.floats(c.name(n, 'inv'), Float32Array.of(1 / prod(x.slice(2))), []);
  return [c.g.op('Expand', [c.g.op('Mul', [dy, inv]), c.g.op('Shape', [c.values.get(n.inputs[0])])])];
};

const concat: Rule = (c, n, dy, needs) => {
  const rank = c.shape(n.outputs[0]).length;
  const axis = (attrInt(n, 'axis', 1) + rank) % rank;
  if (axis === 0) throw new AtlasError(`node '${n.name}' (Concat): concatenation along the batch axis is not differentiable here`);
  const sizes = n.inputs.map((i) => c.shape(i)[axis]);
  const parts = c.g.node('Split', [dy, c.g.ints(c.name(n, 'split'), sizes)], { axis }, n.inputs.length);
  return parts.map((p, i) => (needs[i] ? p : null));
};

const pass: Rule = (_c, n, dy) => n.inputs.map((_, i) => (i === 0 ? dy : null));

const reshape: Rule = (c, n, dy) => {
  // Back to the input's shape with the batch left free (-1).
  const x = c.shape(n.inputs[0]);
  return [c.g.op('Reshape', [dy, c.g.ints(c.name(n, 'shape'), [-1, ...x.slice(1)])]), null];
};

const gemm: Rule = (c, n, dy, needs) => {
  if (needs[1]) throw new AtlasError(`node '${n.name}' (Gemm): its B depends on the input`, 'the differentiator needs a constant B');
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  const transB = attrInt(n, 'transB', 0);
  const b = c.values.get(n.inputs[1]);
  // Y = alpha·A'·B' (+ beta·C): dA' = alpha·dY·B'^T; with transA, dA = dA'^T = alpha·B'·dY^T.
  const da = attrInt(n, 'transA', 0)
    ? c.g.op('Gemm', [b, dy], { alpha: { float: alpha }, transA: transB, transB: 1 })
    : c.g.op('Gemm', [dy, b], { alpha: { float: alpha }, transB: transB ? 0 : 1 });
  const dc = needs[2] ? unbroadcast(c, n, c.g.op('Mul', [dy, c.g.floats(c.name(n, 'beta'), Float32Array.of(beta), [])]), c.shape(n.inputs[2]), c.shape(n.outputs[0]), 2) : null;
  return [needs[0] ? da : null, null, dc];
};

const batchNorm: Rule = (c, n, dy, needs) => {
  if (attrInt(n, 'training_mode', 0) === 1) throw new AtlasError(`node '${n.name}' (BatchNormalization): training mode is not differentiated`, 'export the model in eval mode');
  if (needs.slice(1).some(Boolean)) throw new AtlasError(`node '${n.name}' (BatchNormalization): its statistics depend on the input`);
  const x = c.shape(n.inputs[0]);
  const scale = c.constant(n, n.inputs[1], 'scale').data;
  const variance = c.constant(n, n.inputs[4], 'variance').data;
  const eps = attrFloat(n, 'epsilon', 1e-5);
  const k = Float32Array.from(scale, (s, i) => s / Math.sqrt(variance[i] + eps));
  const dims = [k.length, ...Array(Math.max(0, x.length - 2)).fill(1)];
  return [c.g.op('Mul', [dy, c.g.floats(c.name(n, 'k'), k, dims)]), null, null, null, null];
};

const softmax: Rule = (c, n, dy) => {
  const y = c.values.get(n.outputs[0]);
  const rank = c.shape(n.outputs[0]).length;
  const axis = (attrInt(n, 'axis', -1) + rank) % rank;
  const dot = c.g.op('ReduceSum', [c.g.op('Mul', [dy, y]), c.g.ints(c.name(n, 'axis'), [axis])], { keepdims: 1 });
  return [c.g.op('Mul', [y, c.g.op('Sub', [dy, dot])])];
};

export const RULES: Readonly<Record<string, Rule>> = {
  ...MATH_RULES,
  Conv: conv,
  Relu: relu,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  Concat: concat,
  Dropout: pass,
  Identity: pass,
  Flatten: reshape,
  Reshape: reshape,
  Gemm: gemm,
  BatchNormalization: batchNorm,
  Softmax: softmax,
  Transpose: transpose,
};
