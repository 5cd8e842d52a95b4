// An ONNX graph and its card become a ModelSpec: the layers (each conv with its ReLU, pool, concat,
// dense layer and the logits), their kinds and units, the preprocessing, the classifier; shapes and
// receptive fields then come from the graph (spec.ts, ir-shapes.ts). Pure: files are read by the caller.
import { AtlasError } from '../errors.ts';
import { attrInts, checkOps, type IrGraph, type IrNode, producers } from './ir.ts';
import { inferShapes } from './ir-shapes.ts';
import type { ModelCard } from './model-card.ts';
import type { LayerSpec, ModelSpec } from './spec.ts';

export interface GraphLayer {
  name: string;
  value: string;
}

const LAYER_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Concat', 'Gemm', 'MatMul', 'Softmax']);

/** Default layers: every node output of a layer op (a conv or dense followed by a ReLU: the ReLU's), and the graph's output; named after the node. */
export function detectLayers(ir: IrGraph): GraphLayer[] {
  const consumers = new Map<string, IrNode[]>();
  for (const n of ir.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const out: GraphLayer[] = [];
  for (const n of ir.nodes) {
    if (!LAYER_OPS.has(n.op)) continue;
    const next = consumers.get(n.outputs[0]) ?? [];
    const relu = next.length === 1 && next[0].op === 'Relu' ? next[0] : null;
    out.push({ name: n.name.replace(/\W/g, '_'), value: relu ? relu.outputs[0] : n.outputs[0] });
  }
  for (const o of ir.outputs) if (!out.some((l) => l.value === o)) out.push({ name: 'logits', value: o });
  return out;
}

/** A layer value's kind and units, read off the node that computes it (through its ReLU). */
function layerSpec(ir: IrGraph, prod: Map<string, IrNode>, shapes: Map<string, number[]>, l: GraphLayer, isOutput: boolean): { spec: LayerSpec; pre?: string } {
  const n = prod.get(l.value);
  if (!n) throw new AtlasError(`layer '${l.name}': the graph has no node computing '${l.value}'`, 'check the value names in the model card against the graph (`atlas import-model FILE --list`)');
  const shape = shapes.get(l.value)!;
  const units = shape[1];
  const relu = n.op === 'Relu';
  const core = relu ? prod.get(n.inputs[0]) : n;
  const activation = relu ? 'relu' : 'linear';
  if (core?.op === 'Conv') {
    const k = ir.constants.get(core.inputs[1])!.dims;
    return { spec: { name: l.name, kind: 'conv', kernel: k[2], filters: k[0], activation }, pre: relu ? core.outputs[0] : undefined };
  }
  if (core?.op === 'Gemm' || core?.op === 'MatMul') return { spec: { name: l.name, kind: 'dense', units, activation }, pre: relu ? core.outputs[0] : undefined };
  if (n.op === 'MaxPool' || n.op === 'AveragePool') {
    const k = attrInts(n, 'kernel_shape', [1, 1]);
    return { spec: { name: l.name, kind: 'pool', size: k[0], stride: attrInts(n, 'strides', [1, 1])[0] } };
  }
  if (n.op === 'GlobalAveragePool') return { spec: { name: l.name, kind: 'global-pool', units } };
  if (n.op === 'Concat') return { spec: { name: l.name, kind: 'concat', units } };
  if (isOutput || n.op === 'Softmax') return { spec: { name: l.name, kind: 'logits', units } };
  throw new AtlasError(`layer '${l.name}' is the output of a ${n.op} node ('${n.name}'), which is not a layer`, 'publish conv, pool, concat, dense or output values');
}

/** Float weights dropped: the structure the spec keeps for shapes and receptive fields. */
export function topologyOf(ir: IrGraph): IrGraph {
  const constants = new Map([...ir.constants].map(([k, c]) => [k, c.type === 'float' ? { ...c, data: new Float32Array(0) } : c]));
  return { ...ir, constants };
}

export function specFromGraph(ir: IrGraph, card: ModelCard, where: string): ModelSpec {
  checkOps(ir, where);
  const size = card.input.size;
  const [, c, h, w] = ir.inputDims;
  if ((c !== null && c !== 3) || (h !== null && h !== size) || (w !== null && w !== size)) {
    throw new AtlasError(`${where}: input '${ir.input}' is [${ir.inputDims.map((d) => d ?? '?')}], the card says 3 x ${size} x ${size}`, 'fix input.size in the card');
  }
  const shapes = inferShapes(ir, [1, 3, size, size]);
  const prod = producers(ir);
  const layers = card.layers ?? detectLayers(ir);
  const values: Record<string, string> = {};
  const preValues: Record<string, string> = {};
  const specs = layers.map((l) => {
    if (values[l.name]) throw new AtlasError(`${where}: layer name '${l.name}' is used twice`);
    const { spec, pre } = layerSpec(ir, prod, shapes, l, ir.outputs.includes(l.value));
    values[l.name] = l.value;
    if (pre) preValues[l.name] = pre;
    return spec;
  });
  // Layers in graph order, whatever order the card lists them in.
  const order = new Map(ir.nodes.flatMap((n, i) => n.outputs.map((o) => [o, i] as const)));
  specs.sort((a, b) => order.get(values[a.name])! - order.get(values[b.name])!);
  const last = specs[specs.length - 1];
  const classifier = card.classifier ?? (last?.kind === 'logits' ? { layer: last.name, outputs: 'logits' as const } : undefined);
  if (classifier && !values[classifier.layer]) throw new AtlasError(`${where}: classifier layer '${classifier.layer}' is not one of the layers`);
  return {
    id: card.id,
    name: card.name,
    inputSize: size,
    layers: specs,
    preprocessing: { mode: 'normalize', order: card.input.order, scale: card.input.scale, mean: card.input.mean, std: card.input.std },
    weights: [],
    classIndex: card.classIndex,
    classifier,
    graph: { file: card.file, topology: topologyOf(ir), values, preValues },
  };
}
