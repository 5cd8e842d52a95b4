// Builds ONNX graphs in memory from a ModelSpec and Keras weights, with onnx-proto's generated
// protobuf classes: a forward graph (requested activations, plus what a backward pass needs), and an
// input-gradient graph that runs the network backwards (convs as convs with flipped, in/out-swapped
// kernels, ReLU masks from the saved pre-activations, max-pool gradient routed to the argmax with
// MaxPool indices + MaxUnpool).
import onnxProto from 'onnx-proto';
import { AtlasError } from '../errors.ts';
import type { LayerWeights } from './keras-h5.ts';
import type { LayerSpec, ModelSpec } from './spec.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
export const OPSET = 17;

type Attr = number | number[] | string;

class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly inits: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  input(name: string, elemType: number, dims: Array<number | string>): string {
    this.inputs.push(
      onnx.ValueInfoProto.create({
        name,
        type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
      }),
    );
    return name;
  }

  floats(name: string, data: Float32Array, dims: number[]): string {
    this.inits.push(onnx.TensorProto.create({ name, dataType: FLOAT, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }));
    return name;
  }

  ints(name: string, data: number[], dims = [data.length]): string {
    const arr = BigInt64Array.from(data.map((v) => BigInt(v)));
    this.inits.push(onnx.TensorProto.create({ name, dataType: INT64, dims, rawData: new Uint8Array(arr.buffer) }));
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`);
    const attribute = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'string'
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(v) })
        : Array.isArray(v)
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: v })
          : Number.isInteger(v)
            ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: v })
            : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v }),
    );
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outs, attribute }));
    return outs;
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(opType, inputs, attrs)[0];
  }

  /** Renames a value to a graph output name (an Identity node keeps the builder's names unique). */
  output(value: string, name: string): string {
    this.nodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [value], output: [name] }));
    return name;
  }

  encode(outputs: string[]): Uint8Array {
    const graph = onnx.GraphProto.create({
      name: 'circuit-atlas',
      node: this.nodes,
      initializer: this.inits,
      input: this.inputs,
      output: outputs.map((name) => onnx.ValueInfoProto.create({ name })),
    });
    const model = onnx.ModelProto.create({ irVersion: 8, producerName: 'circuit-atlas', opsetImport: [{ domain: '', version: OPSET }], graph });
    return onnx.ModelProto.encode(model).finish();
  }
}

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

export interface ForwardGraph {
  bytes: Uint8Array;
  /** Graph output name of each requested layer (NHWC, or [N, units]). */
  outputs: Map<string, string>;
  /** Saved tensors a backward graph takes, in the order it expects them (empty unless requested). */
  saved: string[];
}

function layersUpTo(spec: ModelSpec, target: string): LayerSpec[] {
  const last = spec.layers.findIndex((l) => l.name === target);
  return spec.layers.slice(0, last + 1);
}

/**
 * Forward graph from RGB [0,255] NHWC `images` to the requested layers. With `saveFor`, it also returns
 * the pre-activations of every conv (for ReLU masks) and the indices and input shape of every pool up to
 * that layer, in the order buildBackward expects.
 */
export function buildForward(spec: ModelSpec, weights: Map<string, LayerWeights>, layers: string[], preRelu: boolean, saveFor?: string): ForwardGraph {
  const g = new GraphBuilder();
  const images = g.input('images', FLOAT, ['N', 'H', 'W', 3]);
  const deepest = [...layers, ...(saveFor ? [saveFor] : [])].map((l) => spec.layers.findIndex((s) => s.name === l)).reduce((a, b) => Math.max(a, b), -1);
  const chain = spec.layers.slice(0, deepest + 1);
  // Keras 'caffe': RGB -> BGR, minus the BGR mean; then NCHW for ONNX's Conv.
  const bgr = g.op('Gather', [images, g.ints('bgr_index', [2, 1, 0])], { axis: 3 });
  const mean = g.floats('bgr_mean', Float32Array.from(spec.preprocessing.mean), [1, 1, 1, 3]);
  let x = g.op('Transpose', [g.op('Sub', [bgr, mean])], { perm: [0, 3, 1, 2] });
  const outputs = new Map<string, string>();
  const saved: string[] = [];
  const saveUpTo = saveFor ? chain.findIndex((l) => l.name === saveFor) : -1;
  chain.forEach((l, i) => {
    let pre = x;
    let post = x;
    if (l.kind === 'conv') {
      const w = weights.get(l.name)!;
      const k = toOihw(w);
      pre = g.op('Conv', [x, g.floats(`${l.name}_W`, k.data, k.dims), g.floats(`${l.name}_b`, w.bias, [w.bias.length])], {
        kernel_shape: [l.kernel, l.kernel],
        pads: Array(4).fill((l.kernel - 1) / 2),
      });
      post = l.activation === 'relu' ? g.op('Relu', [pre]) : pre;
      if (i <= saveUpTo) saved.push(g.output(pre, `saved_${l.name}_pre`));
    } else if (l.kind === 'pool') {
      const [y, idx] = g.node('MaxPool', [x], { kernel_shape: [l.size, l.size], strides: [l.stride, l.stride] }, 2);
      pre = post = y;
      if (i <= saveUpTo) {
        saved.push(g.output(idx, `saved_${l.name}_indices`));
        saved.push(g.output(g.op('Shape', [x]), `saved_${l.name}_shape`));
      }
    } else if (l.kind === 'flatten') {
      // Keras flattens channels_last: back to NHWC before flattening, so fc1's rows line up.
      pre = post = g.op('Flatten', [g.op('Transpose', [x], { perm: [0, 2, 3, 1] })], { axis: 1 });
    } else {
      const w = weights.get(l.name)!;
      pre = g.op('Add', [g.op('MatMul', [x, g.floats(`${l.name}_W`, w.kernel, w.kernelShape)]), g.floats(`${l.name}_b`, w.bias, [w.bias.length])]);
      post = l.activation === 'relu' ? g.op('Relu', [pre]) : l.activation === 'softmax' ? g.op('Softmax', [pre], { axis: 1 }) : pre;
    }
    if (layers.includes(l.name)) {
      const value = preRelu ? pre : post;
      const spatial = l.kind === 'conv' || l.kind === 'pool';
      outputs.set(l.name, g.output(spatial ? g.op('Transpose', [value], { perm: [0, 2, 3, 1] }) : value, `out_${l.name}`));
    }
    x = post;
  });
  return { bytes: g.encode([...outputs.values(), ...saved]), outputs, saved };
}

/**
 * Input-gradient graph: inputs `grad` (d objective / d layer activation, NHWC) and the forward graph's
 * saved tensors; output `input_grad` (d objective / d RGB image, NHWC).
 */
export function buildBackward(spec: ModelSpec, weights: Map<string, LayerWeights>, layer: string, preRelu: boolean): { bytes: Uint8Array; savedInputs: string[] } {
  const chain = layersUpTo(spec, layer);
  const bad = chain.find((l) => l.kind !== 'conv' && l.kind !== 'pool');
  if (bad) {
    throw new AtlasError(`the onnxruntime engine computes input gradients for conv and pool layers only, not through ${bad.name}`, 'use --engine tfjs for gradients of dense layers');
  }
  const g = new GraphBuilder();
  const dAct = g.input('grad', FLOAT, ['N', 'H', 'W', 'C']);
  const savedInputs: string[] = [];
  for (const l of chain) {
    if (l.kind === 'conv') savedInputs.push(g.input(`saved_${l.name}_pre`, FLOAT, ['N', `C_${l.name}`, `H_${l.name}`, `W_${l.name}`]));
    else {
      savedInputs.push(g.input(`saved_${l.name}_indices`, INT64, ['N', `C_${l.name}`, `Hp_${l.name}`, `Wp_${l.name}`]));
      savedInputs.push(g.input(`saved_${l.name}_shape`, INT64, [4]));
    }
  }
  const zero = g.floats('zero', Float32Array.of(0), []);
  let grad = g.op('Transpose', [dAct], { perm: [0, 3, 1, 2] }); // d/d(output of the current layer), NCHW
  for (let i = chain.length - 1; i >= 0; i--) {
    const l = chain[i];
    if (l.kind === 'conv') {
      const keepPre = i === chain.length - 1 && preRelu;
      if (l.activation === 'relu' && !keepPre) {
        const mask = g.op('Cast', [g.op('Greater', [`saved_${l.name}_pre`, zero])], { to: FLOAT });
        grad = g.op('Mul', [grad, mask]);
      }
      const k = toOihw(weights.get(l.name)!, true);
      grad = g.op('Conv', [grad, g.floats(`${l.name}_Wflip`, k.data, k.dims)], { kernel_shape: [l.kernel, l.kernel], pads: Array(4).fill((l.kernel - 1) / 2) });
    } else if (l.kind === 'pool') {
      grad = g.op('MaxUnpool', [grad, `saved_${l.name}_indices`, `saved_${l.name}_shape`], { kernel_shape: [l.size, l.size], strides: [l.stride, l.stride] });
    }
  }
  // d/d(preprocessed NCHW) -> NHWC, then undo the BGR flip (the mean subtraction passes gradients as is).
  const nhwc = g.op('Transpose', [grad], { perm: [0, 2, 3, 1] });
  g.output(g.op('Gather', [nhwc, g.ints('rgb_index', [2, 1, 0])], { axis: 3 }), 'input_grad');
  return { bytes: g.encode(['input_grad']), savedInputs };
}
