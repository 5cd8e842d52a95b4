// Declarative model specs, in the spirit of Lucid's modelzoo: a model is metadata (input, preprocessing,
// layers with their shapes and receptive fields), and engines interpret it. Nothing here computes on images.
// A hand-written spec (VGG19) lists its layers in sequence; an imported one (model/onnx-import.ts) also
// carries its graph, from which shapes and receptive fields are inferred (model/ir-shapes.ts).
import { attrInt, type IrGraph, producers, weightedNodeOf } from './ir.ts';
import { inferShapes, irReceptiveFields } from './ir-shapes.ts';

export type Activation = 'relu' | 'softmax' | 'linear';

export type LayerSpec =
  | { name: string; kind: 'conv'; kernel: number; filters: number; activation: Activation }
  | { name: string; kind: 'pool'; size: number; stride: number }
  | { name: string; kind: 'flatten' }
  | { name: string; kind: 'dense'; units: number; activation: Activation }
  /** An imported graph's merge of branches (channels of its inputs side by side), global pool, or output (classes). */
  | { name: string; kind: 'concat' | 'global-pool' | 'logits'; units: number };

export type Preprocessing =
  | {
      /** 'caffe' = Keras vgg preprocess_input: RGB->BGR, minus the BGR mean, no scaling. */
      mode: 'caffe';
      /** Per-channel mean, in the channel order the network sees (BGR for caffe). */
      mean: [number, number, number];
      /** Input values are RGB in [0, range]. */
      range: number;
    }
  | {
      /** (pixel / 255 * scale - mean) / std per channel, in `order` (torchvision's and most ONNX exports'). */
      mode: 'normalize';
      order: 'RGB' | 'BGR';
      /** The model's value of a full-scale pixel (1 for [0, 1] inputs, 255 for [0, 255]). */
      scale: number;
      mean: [number, number, number];
      std: [number, number, number];
    };

/** An imported model's graph: which graph value each layer is, and the graph's structure for shapes. */
export interface GraphBinding {
  /** The .onnx file name inside the model's folder. */
  file: string;
  /** The graph without its float weights (shapes and receptive fields only). */
  topology: IrGraph;
  /** Graph value of each layer (post-activation), and of its pre-activation where it has one. */
  values: Record<string, string>;
  preValues: Record<string, string>;
}

export interface WeightsSource {
  url: string;
  /** Hash as Keras' get_file states it (md5 for 32 hex digits). */
  md5: string;
  file: string;
  includesTop: boolean;
}

export interface ModelSpec {
  id: string;
  name: string;
  /** Default square input side (the size the dense head requires). */
  inputSize: number;
  layers: LayerSpec[];
  preprocessing: Preprocessing;
  weights: WeightsSource[];
  /** Class index file shipped with the project (Keras format). */
  classIndex?: string;
  /** The layer whose units are the classes, and whether it gives probabilities or logits (softmax applied by the model check). */
  classifier?: { layer: string; outputs: 'probabilities' | 'logits' };
  /** Set for models imported from a graph (ONNX); unset for hand-written sequential specs. */
  graph?: GraphBinding;
}

export interface ReceptiveField {
  /** Side of the receptive field in input pixels. */
  size: number;
  /** Distance in input pixels between neighbouring units. */
  stride: number;
  /** Input coordinate of the centre of unit (0,0)'s field (pixel centres at i + 0.5). */
  offset: number;
}

export interface LayerInfo {
  name: string;
  kind: LayerSpec['kind'];
  /** Output shape [h, w, c] (or [n] for flat layers) for the spec's default input size. */
  shape: number[];
  params: number;
  rf: ReceptiveField | null;
}

/**
 * Output shape of every layer for an input of the given side (square) or [height, width]; pure. The one
 * place shapes are computed: engines, stimuli and the dataset pass read them from here.
 */
export function layerShapes(spec: ModelSpec, input: number | readonly [number, number] = spec.inputSize): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const [h, w] = typeof input === 'number' ? [input, input] : input;
  if (spec.graph) {
    const shapes = inferShapes(spec.graph.topology, [1, 3, h, w]);
    for (const l of spec.layers) {
      const s = shapes.get(spec.graph.values[l.name])!;
      out.set(l.name, s.length === 4 ? [s[2], s[3], s[1]] : s.slice(1));
    }
    return out;
  }
  let shape = [h, w, 3];
  for (const l of spec.layers) {
    switch (l.kind) {
      case 'conv':
        shape = [shape[0], shape[1], l.filters]; // 'same' padding, stride 1 (VGG)
        break;
      case 'pool':
        shape = [Math.floor((shape[0] - l.size) / l.stride) + 1, Math.floor((shape[1] - l.size) / l.stride) + 1, shape[2]];
        break;
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'dense':
        shape = [l.units];
        break;
      default:
        throw new Error(`a sequential spec has no ${l.kind} layers (${l.name})`);
    }
    out.set(l.name, shape);
  }
  return out;
}

/** Receptive field of every spatial layer (standard recurrence: r += (k-1)j, start += ((k-1)/2 - pad) j, j *= s). */
export function receptiveFields(spec: ModelSpec): Map<string, ReceptiveField> {
  const out = new Map<string, ReceptiveField>();
  if (spec.graph) {
    const rfs = irReceptiveFields(spec.graph.topology);
    for (const l of spec.layers) {
      const rf = rfs.get(spec.graph.values[l.name]);
      if (rf) out.set(l.name, rf);
      // The classes see the whole image (after the global pool): one position whose field is the input.
      else if (l.kind === 'logits') out.set(l.name, { size: spec.inputSize, stride: spec.inputSize, offset: spec.inputSize / 2 });
    }
    return out;
  }
  let size = 1;
  let stride = 1;
  let offset = 0.5;
  for (const l of spec.layers) {
    if (l.kind === 'conv') {
      const pad = (l.kernel - 1) / 2;
      size += (l.kernel - 1) * stride;
      offset += ((l.kernel - 1) / 2 - pad) * stride;
    } else if (l.kind === 'pool') {
      size += (l.size - 1) * stride;
      offset += ((l.size - 1) / 2) * stride;
      stride *= l.stride;
    } else {
      break;
    }
    out.set(l.name, { size, stride, offset });
  }
  return out;
}

/** Input channels of every conv/dense layer, as the weights must have them. */
export function layerInputs(spec: ModelSpec, inputSize = spec.inputSize): Map<string, number> {
  const shapes = layerShapes(spec, inputSize);
  const out = new Map<string, number>();
  if (spec.graph) {
    // A conv's input channels are its kernel's second dim times its groups; a dense layer's, its kernel's rows.
    const g = spec.graph.topology;
    const prod = producers(g);
    for (const l of spec.layers) {
      if (l.kind !== 'conv' && l.kind !== 'dense') continue;
      const n = weightedNodeOf(prod, spec.graph.values[l.name]);
      const dims = n ? g.constants.get(n.inputs[1])?.dims : undefined;
      if (!n || !dims) continue;
      out.set(l.name, n.op === 'Conv' ? dims[1] * attrInt(n, 'group', 1) : n.op === 'Gemm' && attrInt(n, 'transB', 0) ? dims[1] : dims[0]);
    }
    return out;
  }
  let prev = [inputSize, inputSize, 3];
  for (const l of spec.layers) {
    if (l.kind === 'conv') out.set(l.name, prev[2]);
    if (l.kind === 'dense') out.set(l.name, prev[0]);
    prev = shapes.get(l.name)!;
  }
  return out;
}

export function layerInfo(spec: ModelSpec): LayerInfo[] {
  const shapes = layerShapes(spec);
  const rfs = receptiveFields(spec);
  const inputs = layerInputs(spec);
  return spec.layers.map((l) => {
    let params = 0;
    if (l.kind === 'conv') params = l.kernel * l.kernel * inputs.get(l.name)! * l.filters + l.filters;
    if (l.kind === 'dense') params = inputs.get(l.name)! * l.units + l.units;
    if (l.kind === 'conv' && spec.graph) params = (inputs.get(l.name)! / groupsOf(spec, l.name)) * l.kernel * l.kernel * l.filters + l.filters;
    return { name: l.name, kind: l.kind, shape: shapes.get(l.name)!, params, rf: rfs.get(l.name) ?? null };
  });
}

/** A graph conv's groups (1 for sequential specs). */
function groupsOf(spec: ModelSpec, layer: string): number {
  if (!spec.graph) return 1;
  const n = weightedNodeOf(producers(spec.graph.topology), spec.graph.values[layer]);
  return n?.op === 'Conv' ? attrInt(n, 'group', 1) : 1;
}

/** Units the atlas shows for a layer: a conv's filters, an output layer's classes (0 for pools and flattens). */
export function unitCount(l: LayerSpec): number {
  return l.kind === 'conv' ? l.filters : l.kind === 'logits' ? l.units : 0;
}

/** Layers the atlas pages show units of: conv layers and an imported model's output (its classes). */
export function isUnitLayer(l: LayerSpec): boolean {
  return unitCount(l) > 0;
}

/** Layers that carry weights, in order. */
export function weightedLayers(spec: ModelSpec): LayerSpec[] {
  return spec.layers.filter((l) => l.kind === 'conv' || l.kind === 'dense');
}

export function findLayer(spec: ModelSpec, name: string): LayerSpec | undefined {
  return spec.layers.find((l) => l.name === name);
}

function vggBlocks(convs: number[][]): LayerSpec[] {
  const layers: LayerSpec[] = [];
  convs.forEach((filters, b) => {
    filters.forEach((f, i) =>
      layers.push({ name: `block${b + 1}_conv${i + 1}`, kind: 'conv', kernel: 3, filters: f, activation: 'relu' }),
    );
    layers.push({ name: `block${b + 1}_pool`, kind: 'pool', size: 2, stride: 2 });
  });
  return layers;
}

const KERAS_VGG19 = 'https://storage.googleapis.com/tensorflow/keras-applications/vgg19/';

export const vgg19: ModelSpec = {
  id: 'vgg19',
  name: 'VGG19 (Keras, ImageNet)',
  inputSize: 224,
  layers: [
    ...vggBlocks([
      [64, 64],
      [128, 128],
      [256, 256, 256, 256],
      [512, 512, 512, 512],
      [512, 512, 512, 512],
    ]),
    { name: 'flatten', kind: 'flatten' },
    { name: 'fc1', kind: 'dense', units: 4096, activation: 'relu' },
    { name: 'fc2', kind: 'dense', units: 4096, activation: 'relu' },
    { name: 'predictions', kind: 'dense', units: 1000, activation: 'softmax' },
  ],
  preprocessing: { mode: 'caffe', mean: [103.939, 116.779, 123.68], range: 255 },
  // URLs and hashes as in Keras' applications/vgg19.py.
  weights: [
    {
      url: `${KERAS_VGG19}vgg19_weights_tf_dim_ordering_tf_kernels.h5`,
      md5: 'cbe5617147190e668d6c5d5026f83318',
      file: 'vgg19_weights_tf_dim_ordering_tf_kernels.h5',
      includesTop: true,
    },
    {
      url: `${KERAS_VGG19}vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`,
      md5: '253f8cb515780f3b799900260a226db6',
      file: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
      includesTop: false,
    },
  ],
  classIndex: 'imagenet_class_index.json',
  classifier: { layer: 'predictions', outputs: 'probabilities' },
};

export const models: Record<string, ModelSpec> = { vgg19 };
