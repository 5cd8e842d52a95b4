// Builds ONNX graphs in memory from a ModelSpec and Keras weights: a forward graph (requested
// activations) and an input-gradient graph that runs the network forward and then backwards in the same
// session (convs as convs with flipped, in/out-swapped kernels; ReLU and max-pool gradients masked by the
// forward values).
import { AtlasError } from '../errors.ts';
import type { LayerWeights } from './keras-h5.ts';
import { FLOAT, GraphBuilder } from './onnx-builder.ts';
import type { LayerSpec, ModelSpec } from './spec.ts';

/** Keras [kh, kw, in, out] -> ONNX OIHW [out, in, kh, kw]; flipped=true gives the input-gradient kernel [in, out, kh, kw] flipped in space. */
export function toOihw(w: LayerWeights, flipped = false): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = w.kernelShape;
  const [o, i] = flipped ? [cin, cout] : [cout, cin];
  const out = new Float32Array(w.kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let a = 0; a < cin; a++)
        for (let b = 0; b < cout; b++) {
          const v = w.kernel[((y * kw + x) * cin + a) * cout + b];
          if (flipped) out[((a * cout + b) * kh + (kh - 1 - y)) * kw + (kw - 1 - x)] = v;
          else out[((b * cin + a) * kh + y) * kw + x] = v;
        }
  return { data: out, dims: [o, i, kh, kw] };
}

/** A conv's weights for only some of its output channels (in the given order). */
export function outputChannels(w: LayerWeights, channels: readonly number[]): LayerWeights {
  const [kh, kw, cin, cout] = w.kernelShape;
  const bad = channels.find((c) => !Number.isInteger(c) || c < 0 || c >= cout);
  if (bad !== undefined) throw new AtlasError(`channel ${bad} out of range: the conv has channels 0..${cout - 1}`);
  const k = channels.length;
  const kernel = new Float32Array(kh * kw * cin * k);
  for (let p = 0; p < kh * kw * cin; p++) channels.forEach((c, j) => (kernel[p * k + j] = w.kernel[p * cout + c]));
  return { kernel, kernelShape: [kh, kw, cin, k], bias: Float32Array.from(channels, (c) => w.bias[c]) };
}

export interface ForwardGraph {
  bytes: Uint8Array;
  /** Graph output name of each requested layer (NHWC, or [N, units]). */
  outputs: Map<string, string>;
}

/** The layer specs from the input up to `target`, inclusive. */
function layersUpTo(spec: ModelSpec, target: string): LayerSpec[] {
  const last = spec.layers.findIndex((l) => l.name === target);
  return spec.layers.slice(0, last + 1);
}

/** Keras 'caffe' preprocessing in the graph: RGB [0, 255] NHWC -> BGR minus the BGR mean, NCHW. */
function preprocess(g: GraphBuilder, spec: ModelSpec, images: string): string {
  const bgr = g.op('Gather', [images, g.ints('bgr_index', [2, 1, 0])], { axis: 3 });
  const mean = g.floats('bgr_mean', Float32Array.from(spec.preprocessing.mean), [1, 1, 1, 3]);
  return g.op('Transpose', [g.op('Sub', [bgr, mean])], { perm: [0, 3, 1, 2] });
}

function convNode(g: GraphBuilder, l: Extract<LayerSpec, { kind: 'conv' }>, w: LayerWeights, x: string): string {
  const k = toOihw(w);
  return g.op('Conv', [x, g.floats(`${l.name}_W`, k.data, k.dims), g.floats(`${l.name}_b`, w.bias, [w.bias.length])], {
    kernel_shape: [l.kernel, l.kernel],
    pads: Array(4).fill((l.kernel - 1) / 2),
  });
}

/** Forward graph from RGB [0,255] NHWC `images` to the requested layers' activations (NHWC). */
export function buildForward(spec: ModelSpec, weights: Map<string, LayerWeights>, layers: string[], preRelu: boolean): ForwardGraph {
  const g = new GraphBuilder();
  const deepest = layers.map((l) => spec.layers.findIndex((s) => s.name === l)).reduce((a, b) => Math.max(a, b), -1);
  let x = preprocess(g, spec, g.input('images', FLOAT, ['N', 'H', 'W', 3]));
  const outputs = new Map<string, string>();
  for (const l of spec.layers.slice(0, deepest + 1)) {
    let pre = x;
    let post = x;
    if (l.kind === 'conv') {
      pre = convNode(g, l, weights.get(l.name)!, x);
      post = l.activation === 'relu' ? g.op('Relu', [pre]) : pre;
    } else if (l.kind === 'pool') {
      pre = post = g.op('MaxPool', [x], { kernel_shape: [l.size, l.size], strides: [l.stride, l.stride] });
    } else if (l.kind === 'flatten') {
      // Keras flattens channels_last: back to NHWC before flattening, so fc1's rows line up.
      pre = post = g.op('Flatten', [g.op('Transpose', [x], { perm: [0, 2, 3, 1] })], { axis: 1 });
    } else if (l.kind === 'dense') {
      const w = weights.get(l.name)!;
      pre = g.op('Add', [g.op('MatMul', [x, g.floats(`${l.name}_W`, w.kernel, w.kernelShape)]), g.floats(`${l.name}_b`, w.bias, [w.bias.length])]);
      post = l.activation === 'relu' ? g.op('Relu', [pre]) : l.activation === 'softmax' ? g.op('Softmax', [pre], { axis: 1 }) : pre;
    } else {
      throw new AtlasError(`a sequential spec has no ${l.kind} layers (${l.name})`);
    }
    if (layers.includes(l.name)) {
      const value = preRelu ? pre : post;
      const spatial = l.kind === 'conv' || l.kind === 'pool';
      outputs.set(l.name, g.output(spatial ? g.op('Transpose', [value], { perm: [0, 2, 3, 1] }) : value, `out_${l.name}`));
    }
    x = post;
  }
  return { bytes: g.encode([...outputs.values()]), outputs };
}

/**
 * Input-gradient graph, forward and backward in one session (nothing leaves ORT between them): inputs
 * `images` (RGB [0,255] NHWC) and `grad` (d objective / d `layer`'s activation, NHWC); outputs
 * `activation` (the layer's activation, NHWC, pre- or post-ReLU) and `input_grad` (d objective / d
 * images). Convs run backwards as convs with flipped, in/out-swapped kernels; a ReLU passes the gradient
 * where its output is positive; a max-pool routes it to the inputs that equal their window's maximum
 * (the argmax: exact ties at a positive value have probability zero, and ties at 0 are masked by the
 * preceding ReLU, so this equals MaxPool-indices + MaxUnpool without the slow indexed MaxPool kernel).
 *
 * `channels` (a conv `layer` only) prunes the graph to those of the layer's channels: its conv computes
 * only them, `grad` and `activation` carry only them ([N, h, w, channels.length], in that order), and
 * the backward pass starts from them. For an objective whose gradient is zero on every other channel,
 * the input gradient is the same as the full graph's, without the dead work (the other channels of the
 * last conv, forward and backward: most of a step on the layer right after a pool).
 */
export function buildGradient(spec: ModelSpec, weights: Map<string, LayerWeights>, layer: string, preRelu: boolean, channels?: readonly number[]): { bytes: Uint8Array } {
  const chain = layersUpTo(spec, layer);
  const target = chain[chain.length - 1];
  if (channels && target?.kind !== 'conv') throw new AtlasError(`channel pruning needs a conv layer; ${layer} is a ${target?.kind ?? 'missing'} layer`);
  /** The weights a conv of the chain runs with: the target's pruned to `channels`. */
  const weightsOf = (l: LayerSpec) => (channels && l === target ? outputChannels(weights.get(l.name)!, channels) : weights.get(l.name)!);
  const bad = chain.find((l) => l.kind !== 'conv' && l.kind !== 'pool');
  if (bad) {
    throw new AtlasError(`the onnxruntime engine computes input gradients for conv and pool layers only, not through ${bad.name}`, 'use --engine tfjs for gradients of dense layers');
  }
  const g = new GraphBuilder();
  const images = g.input('images', FLOAT, ['N', 'H', 'W', 3]);
  const dAct = g.input('grad', FLOAT, ['N', 'h', 'w', 'C']);
  // Forward, keeping what the backward pass needs: each ReLU's output and each pool's input and output.
  const kept: Array<{ input: string; output: string }> = [];
  let x = preprocess(g, spec, images);
  let act = x;
  chain.forEach((l, i) => {
    let out: string;
    if (l.kind === 'conv') {
      const pre = convNode(g, l, weightsOf(l), x);
      out = l.activation === 'relu' ? g.op('Relu', [pre]) : pre;
      act = i === chain.length - 1 && preRelu ? pre : out;
    } else if (l.kind === 'pool') {
      if (l.size !== l.stride) throw new AtlasError(`pool ${l.name}: the gradient graph supports non-overlapping max-pools only (size = stride)`);
      out = act = g.op('MaxPool', [x], { kernel_shape: [l.size, l.size], strides: [l.stride, l.stride] });
    } else {
      throw new Error(`unreachable: ${l.kind}`);
    }
    kept.push({ input: x, output: out });
    x = out;
  });
  g.output(g.op('Transpose', [act], { perm: [0, 2, 3, 1] }), 'activation');
  const zero = g.floats('zero', Float32Array.of(0), []);
  let grad = g.op('Transpose', [dAct], { perm: [0, 3, 1, 2] }); // d/d(output of the current layer), NCHW
  for (let i = chain.length - 1; i >= 0; i--) {
    const l = chain[i];
    if (l.kind === 'conv') {
      // A ReLU whose output feeds a max-pool was masked by the pool's backward pass, at a quarter of the cost.
      const maskedByPool = chain[i + 1]?.kind === 'pool';
      if (l.activation === 'relu' && !(i === chain.length - 1 && preRelu) && !maskedByPool) {
        grad = g.op('Where', [g.op('Greater', [kept[i].output, zero]), grad, zero]);
      }
      const k = toOihw(weightsOf(l), true);
      grad = g.op('Conv', [grad, g.floats(`${l.name}_Wflip`, k.data, k.dims)], { kernel_shape: [l.kernel, l.kernel], pads: Array(4).fill((l.kernel - 1) / 2) });
    } else if (l.kind === 'pool') {
      const prev = chain[i - 1];
      const reluBefore = prev?.kind === 'conv' && prev.activation === 'relu';
      grad = poolBackward(g, l.size, kept[i].input, kept[i].output, grad, zero, reluBefore);
    }
  }
  // d/d(preprocessed NCHW) -> NHWC, then undo the BGR flip (the mean subtraction passes gradients as is).
  const nhwc = g.op('Transpose', [grad], { perm: [0, 2, 3, 1] });
  g.output(g.op('Gather', [nhwc, g.ints('rgb_index', [2, 1, 0])], { axis: 3 }), 'input_grad');
  return { bytes: g.encode(['activation', 'input_grad']) };
}

/**
 * Gradient of a k x k, stride-k max-pool: upsample the pooled values and the gradient (nearest), and keep
 * the gradient where the input equals its window's maximum. Rows and columns the pool dropped (odd sizes)
 * get zero. With `reluBefore` (the pool reads a ReLU's output), the ReLU's mask is applied here, on the
 * pooled values: at the argmax, the input is positive exactly when the maximum is. (Comparing in a
 * [N, C, h, k, w, k] view with broadcasting instead of upsampling was measured 3x slower in onnxruntime.)
 */
function poolBackward(g: GraphBuilder, k: number, input: string, output: string, grad: string, zero: string, reluBefore: boolean): string {
  const dy = reluBefore ? g.op('Where', [g.op('Greater', [output, zero]), grad, zero]) : grad;
  const scales = g.floats(`up_scales_${k}`, Float32Array.of(1, 1, k, k), [4]);
  const up = (t: string) => g.op('Resize', [t, '', scales], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' });
  const maxUp = up(output);
  // The input cropped to the pooled area (a no-op when the size divides by k).
  const hw = g.op('Slice', [g.op('Shape', [maxUp]), g.ints('i2', [2]), g.ints('i4', [4])]);
  const cropped = g.op('Slice', [input, g.ints('z2', [0, 0]), hw, g.ints('axes23', [2, 3])]);
  const routed = g.op('Where', [g.op('Equal', [cropped, maxUp]), up(dy), zero]);
  // Zero-pad back to the input's size: pads [0, 0, 0, 0, 0, 0, H - h, W - w].
  const rest = g.op('Sub', [g.op('Slice', [g.op('Shape', [input]), g.ints('i2', [2]), g.ints('i4', [4])]), hw]);
  const pads = g.op('Concat', [g.ints('z6', [0, 0, 0, 0, 0, 0]), rest], { axis: 0 });
  return g.op('Pad', [routed, pads]);
}
