// The onnxruntime graphs of every model, from its graph IR (an imported ONNX graph, or a sequential spec
// lowered by seq-ir.ts): its nodes (ir-emit.ts) behind the preprocessing, with the requested layers as
// outputs (NHWC, as the Engine interface has them), and the input-gradient graph: the same forward, then
// the differentiator's backward pass (autodiff.ts).
import { AtlasError } from '../errors.ts';
import { availableLayers, type KerasWeights, type LayerWeights } from './keras-h5.ts';
import { prunedFeeds, seqValue, sequentialIr } from './seq-ir.ts';
import { type IrGraph, producers, weightedNodeOf } from './ir.ts';
import { emitBackward } from './autodiff.ts';
import { constantName, emitForward } from './ir-emit.ts';
import { inferShapes } from './ir-shapes.ts';
import { FLOAT, GraphBuilder } from './onnx-builder.ts';
import type { GradientAt, NetworkGraphs } from './ort-engine.ts';
import type { ModelSpec } from './spec.ts';

/**
 * NHWC RGB [0, 255] -> the model's input, NCHW: Keras 'caffe' (BGR minus the BGR mean), or the channel
 * order and (x / 255 * scale - mean) / std of an imported model's card.
 */
/** d(model input)/d(pixel) per channel of a card's normalization: scale / 255 / std. */
function pixelScale(p: Extract<ModelSpec['preprocessing'], { mode: 'normalize' }>): Float32Array {
  return Float32Array.from([0, 1, 2], (c) => p.scale / 255 / p.std[c]);
}

export function emitPreprocess(g: GraphBuilder, spec: ModelSpec, images: string): string {
  const p = spec.preprocessing;
  if (p.mode === 'caffe') {
    const bgr = g.op('Gather', [images, g.ints('bgr_index', [2, 1, 0])], { axis: 3 });
    return g.op('Transpose', [g.op('Sub', [bgr, g.floats('bgr_mean', Float32Array.from(p.mean), [1, 1, 1, 3])])], { perm: [0, 3, 1, 2] });
  }
  const ordered = p.order === 'BGR' ? g.op('Gather', [images, g.ints('bgr_index', [2, 1, 0])], { axis: 3 }) : images;
  const mul = pixelScale(p);
  const sub = Float32Array.from([0, 1, 2], (c) => p.mean[c] / p.std[c]);
  const x = g.op('Sub', [g.op('Mul', [ordered, g.floats('pre_mul', mul, [1, 1, 1, 3])]), g.floats('pre_sub', sub, [1, 1, 1, 3])]);
  return g.op('Transpose', [x], { perm: [0, 3, 1, 2] });
}

/** The graph value a layer is read at (its pre-activation when asked and it has one). */
export function layerValue(spec: ModelSpec, layer: string, preRelu: boolean): string {
  if (!spec.graph) return seqValue(spec, layer, preRelu);
  const b = spec.graph;
  const v = b.values[layer];
  if (v === undefined) throw new AtlasError(`unknown layer '${layer}' for ${spec.id}`, `layers: ${spec.layers.map((l) => l.name).join(', ')}`);
  return preRelu ? (b.preValues[layer] ?? v) : v;
}

export interface ForwardGraph {
  bytes: Uint8Array;
  /** Graph output name of each requested layer (NHWC, or [N, units]). */
  outputs: Map<string, string>;
}

/** NCHW values -> NHWC graph outputs (flat values as they are). */
function emitOutput(g: GraphBuilder, value: string, rank: number, name: string): string {
  return g.output(rank === 4 ? g.op('Transpose', [value], { perm: [0, 2, 3, 1] }) : value, name);
}

export function buildGraphForward(spec: ModelSpec, ir: IrGraph, layers: string[], preRelu: boolean): ForwardGraph {
  const g = new GraphBuilder();
  const x = emitPreprocess(g, spec, g.input('images', FLOAT, ['N', 'H', 'W', 3]));
  const targets = layers.map((l) => layerValue(spec, l, preRelu));
  const values = emitForward(g, ir, x, targets);
  const outputs = new Map<string, string>();
  layers.forEach((l, i) => {
    const kind = spec.layers.find((s) => s.name === l)!.kind;
    outputs.set(l, emitOutput(g, values.get(targets[i]), kind === 'conv' || kind === 'pool' || kind === 'concat' ? 4 : 2, `out_${l}`));
  });
  return { bytes: g.encode([...outputs.values()]), outputs };
}

/**
 * Conv and dense layers' weights in the Keras layout the circuit code reads (conv [kh, kw, in, out],
 * dense [in, out]), from the graph's initializers. Grouped convs are skipped (no dense wiring to show).
 */
export function graphLayerWeights(spec: ModelSpec, ir: IrGraph): Map<string, LayerWeights> {
  const prod = producers(ir);
  const out = new Map<string, LayerWeights>();
  for (const l of spec.layers) {
    if (l.kind !== 'conv' && l.kind !== 'dense') continue;
    const n = weightedNodeOf(prod, spec.graph!.values[l.name]);
    const w = n && ir.constants.get(n.inputs[1]);
    const b = n && n.inputs[2] ? ir.constants.get(n.inputs[2]) : undefined;
    if (!n || w?.type !== 'float' || (n.op === 'Conv' && Number(n.attrs.group ?? 1) !== 1)) continue;
    if (n.op === 'Conv') {
      const [o, i, kh, kw] = w.dims;
      const kernel = new Float32Array(w.data.length);
      for (let a = 0; a < o; a++) for (let c = 0; c < i; c++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) kernel[((y * kw + x) * i + c) * o + a] = w.data[((a * i + c) * kh + y) * kw + x];
      out.set(l.name, { kernel, kernelShape: [kh, kw, i, o], bias: b?.type === 'float' ? b.data : new Float32Array(o) });
    } else {
      // Gemm with transB holds [out, in]; MatMul and plain Gemm [in, out].
      const transB = n.op === 'Gemm' && Number(n.attrs.transB ?? 0) === 1;
      const [r, c] = w.dims;
      const kernel = transB ? Float32Array.from({ length: r * c }, (_, k) => w.data[(k % r) * c + Math.floor(k / r)]) : w.data;
      const units = transB ? r : c;
      out.set(l.name, { kernel, kernelShape: transB ? [c, r] : [r, c], bias: b?.type === 'float' ? b.data : new Float32Array(units) });
    }
  }
  return out;
}

/**
 * Input-gradient graph of any model for one input size (the differentiator's transposed convs and pool
 * adjoints are sized statically): inputs `images` (NHWC RGB [0, 255]) and `grad` (d objective / d the
 * layer's activation, NHWC or [N, units]); outputs `activation` (post-ReLU unless `at` is 'pre') and
 * `input_grad`, as the engine's gradient sessions read them (ort-engine.ts).
 */
export function buildGraphGradient(spec: ModelSpec, ir: IrGraph, layer: string, at: GradientAt, inputHW: readonly [number, number], batch?: number): { bytes: Uint8Array } {
  const p = spec.preprocessing;
  const g = new GraphBuilder();
  // Every dim static (the batch too, when given): onnxruntime's NCHWc layout then also covers the
  // backward's elementwise products, which it keeps in that layout only when it can prove equal shapes.
  const n = batch ?? 'N';
  const x = emitPreprocess(g, spec, g.input('images', FLOAT, [n, inputHW[0], inputHW[1], 3]));
  // The value the objective reads (output as `activation`), and the one the backward starts from: the
  // pre-ReLU value when redirected (the same when the layer has no ReLU: nothing to redirect).
  const read = layerValue(spec, layer, at === 'pre');
  const start = layerValue(spec, layer, at !== 'post');
  const values = emitForward(g, ir, x, [read]);
  const shapes = inferShapes(ir, [1, 3, inputHW[0], inputHW[1]]);
  const t = shapes.get(read)!;
  const rank = t.length;
  emitOutput(g, values.get(read), rank, 'activation');
  const seedIn = g.input('grad', FLOAT, rank === 4 ? [n, t[2], t[3], t[1]] : [n, t[1]]);
  let seed = rank === 4 ? g.op('Transpose', [seedIn], { perm: [0, 3, 1, 2] }) : seedIn;
  if (start !== read) seed = redirectedSeed(g, seed, values.get(read), rank);
  const dx = emitBackward(g, ir, values, shapes, start, seed);
  // Back through the preprocessing: NCHW -> NHWC, times d(input)/d(pixel) (1 for caffe: a mean only), then undo the channel order.
  const nhwc = g.op('Transpose', [dx], { perm: [0, 2, 3, 1] });
  const scaled = p.mode === 'caffe' ? nhwc : g.op('Mul', [nhwc, g.floats('pre_mul', pixelScale(p), [1, 1, 1, 3])]);
  const bgr = p.mode === 'caffe' || p.order === 'BGR';
  g.output(bgr ? g.op('Gather', [scaled, g.ints('bgr_index', [2, 1, 0])], { axis: 3 }) : scaled, 'input_grad');
  return { bytes: g.encode(['activation', 'input_grad']) };
}

/**
 * The post-ReLU seed taken back through the ReLU, except in the views where the objective (the seed's dot
 * product with the post-ReLU value, as linearValues computes it) is not positive: those pass the seed
 * unmasked, as the pre-ReLU objective's gradient (the same linear gradient) would be. The mask is
 * exactly 0 or 1, so the other views get the bits the differentiator's ReLU rule gives.
 */
function redirectedSeed(g: GraphBuilder, seed: string, post: string, rank: number): string {
  const zero = g.floats('redirect_zero', Float32Array.of(0), []);
  const axes = g.ints('redirect_axes', rank === 4 ? [1, 2, 3] : [1]);
  const value = g.op('ReduceSum', [g.op('Mul', [seed, post]), axes], { keepdims: 1 });
  // Not(value > 0), so that a NaN value redirects too, as the JS test !(v > 0) did.
  const silent = g.op('Not', [g.op('Greater', [value, zero])]);
  // Max of the two 0/1 masks rather than Or: onnxruntime's WebGPU provider has no Or, and one node on the
  // CPU would copy the layer's activation off the GPU and back every step.
  const pass = g.op('Max', [g.op('Cast', [g.op('Greater', [post, zero])], { to: FLOAT }), g.op('Cast', [silent], { to: FLOAT })]);
  return g.op('Mul', [seed, pass]);
}

/**
 * The engine's graphs of a sequential spec on its Keras weights: lowered to the IR per graph, up to the
 * deepest layer asked for (the dense head's weights are converted only when a dense layer is asked for);
 * a gradient graph may be pruned to the channels of its conv layer.
 */
export function kerasGraphs(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>): NetworkGraphs {
  const deepest = (layers: string[]) => spec.layers.filter((l) => layers.includes(l.name)).at(-1)?.name ?? layers[0];
  return {
    available: availableLayers(spec, weights),
    forward: (layers, preRelu) => buildGraphForward(spec, sequentialIr(spec, weights.layers, deepest(layers)), layers, preRelu),
    gradient: (layer, at, channels, inputHW, batch) => buildGraphGradient(spec, sequentialIr(spec, weights.layers, layer, channels ? { layer, channels } : undefined), layer, at, inputHW, batch),
    feeds: (layer, channels) => new Map([...prunedFeeds(weights.layers, layer, channels)].map(([name, v]) => [constantName(name), v])),
    prunes: true,
    sized: true,
  };
}

/** The engine's graphs of an imported model: every layer is computable (the file holds all weights). */
export function irGraphs(spec: ModelSpec, ir: IrGraph): NetworkGraphs {
  return {
    available: spec.layers.map((l) => l.name),
    forward: (layers, preRelu) => buildGraphForward(spec, ir, layers, preRelu),
    gradient: (layer, at, _channels, inputHW, batch) => buildGraphGradient(spec, ir, layer, at, inputHW, batch),
    feeds: () => new Map(),
    sized: true,
    prunes: false,
  };
}
