// A sequential spec (VGG19) with its Keras weights lowered to the graph IR, so that one forward emitter
// and one differentiator (autodiff.ts) serve every model. Values are named after the layers: a conv or
// dense layer's output is its name, its pre-activation `<name>:pre`; kernels are converted to ONNX's
// OIHW once per graph. `prune` keeps only some output channels of one conv (the channels a linear
// objective touches): its value then carries just those, in that order, and its weights are fed (so one
// session serves every set of that many channels; prunedFeeds gives a set's values).
import { AtlasError } from '../errors.ts';
import type { IrConst, IrGraph, IrNode } from './ir.ts';
import type { LayerWeights } from './keras-h5.ts';
import type { ModelSpec } from './spec.ts';

export const SEQ_INPUT = 'input';

/** Keras [kh, kw, in, out] -> ONNX OIHW [out, in, kh, kw]. */
export function toOihw(w: LayerWeights): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = w.kernelShape;
  const out = new Float32Array(w.kernel.length);
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let a = 0; a < cin; a++) for (let b = 0; b < cout; b++) out[((b * cin + a) * kh + y) * kw + x] = w.kernel[((y * kw + x) * cin + a) * cout + b];
  return { data: out, dims: [cout, cin, kh, kw] };
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

/** The value a sequential layer is read at (its pre-activation when asked and it has one). */
export function seqValue(spec: ModelSpec, layer: string, preRelu: boolean): string {
  const l = spec.layers.find((x) => x.name === layer);
  if (!l) throw new AtlasError(`unknown layer '${layer}' for ${spec.id}`, `layers: ${spec.layers.map((x) => x.name).join(', ')}`);
  return preRelu && (l.kind === 'conv' || l.kind === 'dense') && l.activation !== 'linear' ? `${layer}:pre` : layer;
}

/** The fed constants of a graph pruned to `channels` of conv `layer`, by IR name: that channel set's weights. */
export function prunedFeeds(weights: Map<string, LayerWeights>, layer: string, channels: readonly number[]): Map<string, { data: Float32Array; dims: number[] }> {
  const raw = weights.get(layer);
  if (!raw) throw new AtlasError(`${layer} is not in the loaded weights`);
  const w = outputChannels(raw, channels);
  return new Map([
    [`${layer}_W`, toOihw(w)],
    [`${layer}_b`, { data: w.bias, dims: [w.bias.length] }],
  ]);
}

export function sequentialIr(spec: ModelSpec, weights: Map<string, LayerWeights>, upTo: string, prune?: { layer: string; channels: readonly number[] }): IrGraph {
  const last = spec.layers.findIndex((l) => l.name === upTo);
  if (last < 0) throw new AtlasError(`unknown layer '${upTo}' for ${spec.id}`);
  if (prune && spec.layers.find((l) => l.name === prune.layer)?.kind !== 'conv') {
    throw new AtlasError(`channel pruning needs a conv layer; ${prune.layer} is a ${spec.layers.find((l) => l.name === prune.layer)?.kind ?? 'missing'} layer`);
  }
  const nodes: IrNode[] = [];
  const constants = new Map<string, IrConst>();
  const float = (name: string, data: Float32Array, dims: number[], fed = false) => (constants.set(name, { type: 'float', data, dims, ...(fed ? { fed } : {}) }), name);
  const node = (op: string, name: string, inputs: string[], output: string, attrs: IrNode['attrs'] = {}) => (nodes.push({ op, name, inputs, outputs: [output], attrs }), output);
  let x = SEQ_INPUT;
  for (const l of spec.layers.slice(0, last + 1)) {
    if (l.kind === 'conv') {
      const raw = weights.get(l.name);
      if (!raw) throw new AtlasError(`${l.name} is not in the loaded weights`);
      const fed = prune?.layer === l.name;
      const w = fed ? outputChannels(raw, prune.channels) : raw;
      const k = toOihw(w);
      const pads = Array(4).fill((l.kernel - 1) / 2);
      const conv = node('Conv', l.name, [x, float(`${l.name}_W`, k.data, k.dims, fed), float(`${l.name}_b`, w.bias, [w.bias.length], fed)], l.activation === 'relu' ? `${l.name}:pre` : l.name, { kernel_shape: [l.kernel, l.kernel], pads });
      x = l.activation === 'relu' ? node('Relu', `${l.name}_relu`, [conv], l.name) : conv;
    } else if (l.kind === 'pool') {
      x = node('MaxPool', l.name, [x], l.name, { kernel_shape: [l.size, l.size], strides: [l.stride, l.stride] });
    } else if (l.kind === 'flatten') {
      // Keras flattens channels_last: back to NHWC first, so fc1's rows line up.
      x = node('Flatten', l.name, [node('Transpose', `${l.name}_nhwc`, [x], `${l.name}:nhwc`, { perm: [0, 2, 3, 1] })], l.name, { axis: 1 });
    } else if (l.kind === 'dense') {
      const w = weights.get(l.name);
      if (!w) throw new AtlasError(`${l.name} is not in the loaded weights`);
      const mm = node('MatMul', `${l.name}_matmul`, [x, float(`${l.name}_W`, w.kernel, w.kernelShape)], `${l.name}:mm`);
      const pre = node('Add', `${l.name}_bias`, [mm, float(`${l.name}_b`, w.bias, [w.bias.length])], l.activation === 'linear' ? l.name : `${l.name}:pre`);
      x = l.activation === 'relu' ? node('Relu', `${l.name}_relu`, [pre], l.name) : l.activation === 'softmax' ? node('Softmax', `${l.name}_softmax`, [pre], l.name, { axis: 1 }) : pre;
    } else {
      throw new AtlasError(`a sequential spec has no ${l.kind} layers (${l.name})`);
    }
  }
  return { input: SEQ_INPUT, inputDims: [null, 3, null, null], outputs: [x], nodes, constants };
}
