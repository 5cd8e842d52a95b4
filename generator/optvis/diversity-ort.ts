// Lucid's diversity penalty and its gradient as one onnxruntime graph: the penalty as a graph of the
// IR, its gradient by the one differentiator. With tfjs-wasm's autodiff of its Gram matrices
// ([N, C, C] from [N, h*w, C]) a diversity step at block3_conv4 cost about 600 ms per image, 10x a
// channel step; with native matrix products here, about 100 ms. The penalty (objectives.ts's):
//   F = relu(a) as [N, hw, C], G_i = F_i^T F_i, U_i = G_i / max(|G_i|, 1e-10),
//   D_i = -1/g sum_{j != i in i's group} U_i . U_j
// The differentiator's Gram rule makes dF = F (dG + dG^T) one product, as a hand-written adjoint would.
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { emitBackward } from '../model/autodiff.ts';
import type { Device } from '../model/device.ts';
import type { NdArray } from '../model/engine.ts';
import type { IrConst, IrGraph, IrNode } from '../model/ir.ts';
import { emitForward } from '../model/ir-emit.ts';
import { inferShapes } from '../model/ir-shapes.ts';
import { FLOAT, GraphBuilder } from '../model/onnx-builder.ts';
import { loadOrt, ortSessionOptions } from '../model/ort.ts';

/** The penalty of activations [N, h, w, C] (NHWC, N a multiple of `group`) per image, as an IR graph. */
export function diversityIr(group: number, h: number, w: number, c: number): IrGraph {
  const constants = new Map<string, IrConst>();
  const nodes: IrNode[] = [];
  const floats = (name: string, v: number) => (constants.set(name, { type: 'float', data: Float32Array.of(v), dims: [] }), name);
  const ints = (name: string, data: number[]) => (constants.set(name, { type: 'int64', data: BigInt64Array.from(data.map(BigInt)), dims: [data.length] }), name);
  const op = (kind: string, inputs: string[], attrs: IrNode['attrs'] = {}, name = `${kind.toLowerCase()}${nodes.length}`) => {
    nodes.push({ op: kind, name, inputs, outputs: [name], attrs });
    return name;
  };
  const f = op('Reshape', [op('Relu', ['act']), ints('n_hw_c', [0, -1, c])]);
  const gram = op('MatMul', [op('Transpose', [f], { perm: [0, 2, 1] }), f]);
  const gf = op('Reshape', [gram, ints('groups', [-1, group, c * c])]);
  const u = op('Div', [gf, op('Max', [op('ReduceL2', [gf], { axes: [2], keepdims: 1 }), floats('tiny', 1e-10)])]);
  const sims = op('MatMul', [u, op('Transpose', [u], { perm: [0, 2, 1] })]);
  const axis2 = ints('axis2', [2]);
  const self = op('ReduceSum', [op('Mul', [u, u]), axis2], { keepdims: 0 });
  const offDiagonal = op('Sub', [op('ReduceSum', [sims, axis2], { keepdims: 0 }), self]);
  op('Reshape', [op('Div', [op('Neg', [offDiagonal]), floats('group', group)]), ints('m1', [-1])], {}, 'values');
  return { input: 'act', inputDims: [null, h, w, c], outputs: ['values'], nodes, constants };
}

function buildDiversity(group: number, [h, w, c]: number[]): Uint8Array {
  const ir = diversityIr(group, h, w, c);
  const g = new GraphBuilder();
  const act = g.input('act', FLOAT, ['N', h, w, c]);
  const values = emitForward(g, ir, act, ['values']);
  const v = values.get('values');
  // The gradient of the sum of the penalties: a seed of ones.
  const seed = g.op('Expand', [g.floats('one', Float32Array.of(1), []), g.op('Shape', [v])]);
  const grad = emitBackward(g, ir, values, inferShapes(ir, [group, h, w, c]), 'values', seed);
  g.output(v, 'values');
  g.output(grad, 'grad');
  return g.encode(['values', 'grad']);
}

const sessions = new Map<string, Promise<Ort.InferenceSession>>();

/**
 * The penalty per image (as objectives.ts's diversityPenalty) and the gradient of their sum, on onnxruntime,
 * on the network's device: on a GPU the network step takes milliseconds, and these Gram products
 * (Gram and adjoint: about 0.27 GFLOP per image at block3_conv4, 128 px) on the CPU would then dominate it.
 */
export async function diversityOrt(group: number, act: NdArray, device: Device = 'cpu'): Promise<{ values: Float32Array; grad: Float32Array }> {
  const ort = await loadOrt();
  const key = `${group}|${act.shape.slice(1).join('x')}|${device}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(buildDiversity(group, act.shape.slice(1)), ortSessionOptions(availableParallelism(), device));
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  const res = await (await s).run({ act: new ort.Tensor('float32', act.data, act.shape) });
  return { values: res.values.data as Float32Array, grad: res.grad.data as Float32Array };
}
