// The network as a graph: the one representation every model lowers to (an imported ONNX file, or a
// declarative spec such as VGG19's with its Keras weights). Forward graphs, gradient graphs, shapes and
// receptive fields are all derived from it. Tensors are NCHW, as in ONNX; nodes are in topological order.
import { AtlasError } from '../errors.ts';

/** As ONNX has them; `{ float }` is a FLOAT attribute (so 1.0 stays a float). */
export type AttrValue = number | number[] | string | { float: number };

export interface IrNode {
  op: string;
  /** The node's name in its source graph (errors name it). */
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

/**
 * A constant (ONNX initializer): weights are float32, shapes (Reshape) int64. A `fed` one becomes a
 * graph input that each run feeds (a pruned conv's weights, so that one session serves every channel
 * set of its size); its data is what the graph's own users (shapes, tests) read.
 */
export type IrConst = { dims: number[]; type: 'float'; data: Float32Array; fed?: boolean } | { dims: number[]; type: 'int64'; data: BigInt64Array };

export interface IrGraph {
  /** The image input, NCHW. */
  input: string;
  /** Its dims; null where the graph leaves a dimension free (the batch, usually). */
  inputDims: Array<number | null>;
  outputs: string[];
  nodes: IrNode[];
  constants: Map<string, IrConst>;
}

/** The ops the generator runs forward and differentiates (ONNX semantics, opset 13-17). */
export const SUPPORTED_OPS = [
  'Conv',
  'Relu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'Concat',
  'Add',
  'Dropout',
  'Identity',
  'Flatten',
  'Reshape',
  'Gemm',
  'MatMul',
  'BatchNormalization',
  'Softmax',
  'Transpose',
  // Elementwise arithmetic (a SiLU's x * sigmoid(x), a normalization folded into the graph).
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Sigmoid',
  'Max',
] as const;

/** Throws naming the first node whose op the generator does not support. */
export function checkOps(g: IrGraph, where: string): void {
  const supported = new Set<string>(SUPPORTED_OPS);
  const bad = g.nodes.find((n) => !supported.has(n.op));
  if (bad) {
    throw new AtlasError(
      `${where}: node '${bad.name}' is a ${bad.op}, an op the generator does not support`,
      `supported ops: ${SUPPORTED_OPS.join(', ')}; export the model without it (or fold it into a supported op)`,
    );
  }
}

export function attrInts(n: IrNode, name: string, fallback: number[]): number[] {
  const v = n.attrs[name];
  return Array.isArray(v) ? v : fallback;
}

export function attrInt(n: IrNode, name: string, fallback: number): number {
  const v = n.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

export function attrFloat(n: IrNode, name: string, fallback: number): number {
  const v = n.attrs[name];
  return typeof v === 'object' && !Array.isArray(v) ? v.float : typeof v === 'number' ? v : fallback;
}

export function attrString(n: IrNode, name: string, fallback: string): string {
  const v = n.attrs[name];
  return typeof v === 'string' ? v : fallback;
}

/** A reduction's axes (an attribute, or from opset 13/18 a constant second input), normalized; none = all. */
export function reduceAxes(n: IrNode, rank: number, g: IrGraph): number[] {
  let axes = attrInts(n, 'axes', []);
  if (n.inputs[1]) {
    const c = g.constants.get(n.inputs[1]);
    if (c?.type !== 'int64') throw new AtlasError(`node '${n.name}' (${n.op}): its axes must be a constant`);
    axes = Array.from(c.data, Number);
  }
  return axes.length ? axes.map((a) => (a + rank) % rank) : Array.from({ length: rank }, (_, i) => i);
}

/** The node that produces each value. */
export function producers(g: IrGraph): Map<string, IrNode> {
  const out = new Map<string, IrNode>();
  for (const n of g.nodes) for (const o of n.outputs) out.set(o, n);
  return out;
}

/**
 * The weighted node (Conv, Gemm, MatMul) an imported layer's value comes from, through its activation
 * (the value is a ReLU's output, or the node's own); undefined for pools, concatenations, outputs.
 */
export function weightedNodeOf(prod: Map<string, IrNode>, value: string): IrNode | undefined {
  let n = prod.get(value);
  if (n?.op === 'Relu') n = prod.get(n.inputs[0]);
  return n && (n.op === 'Conv' || n.op === 'Gemm' || n.op === 'MatMul') ? n : undefined;
}

/** The nodes a value depends on, in topological order (the forward pass up to `targets`). */
export function ancestors(g: IrGraph, targets: readonly string[]): IrNode[] {
  const prod = producers(g);
  const need = new Set<IrNode>();
  const stack = [...targets];
  while (stack.length) {
    const v = stack.pop()!;
    const n = prod.get(v);
    if (!n || need.has(n)) continue;
    need.add(n);
    stack.push(...n.inputs.filter((i) => i !== ''));
  }
  return g.nodes.filter((n) => need.has(n));
}
