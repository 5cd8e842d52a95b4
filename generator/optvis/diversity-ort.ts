// Lucid's diversity penalty and its gradient as one onnxruntime graph. With tfjs-wasm's autodiff of its
// Gram matrices ([N, C, C] from [N, h*w, C]) a diversity step at block3_conv4 cost about 600 ms per image,
// 10x a channel step; with native matrix products here, 103 ms. The adjoint is written out:
//   F = relu(a) as [N, hw, C], G_i = F_i^T F_i, U_i = G_i / |G_i|, D = -1/g sum_{i != j in a group} U_i . U_j
//   dU_i = -2/g (sum_group U - U_i), dG_i = (dU_i - U_i (U_i . dU_i)) / |G_i|, dF = F (dG + dG^T),
//   da = dF where a > 0.
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';
import type { Device } from '../model/device.ts';
import type { NdArray } from '../model/engine.ts';
import { FLOAT, GraphBuilder } from '../model/onnx-builder.ts';
import { loadOrt, ortSessionOptions } from '../model/ort.ts';

function buildDiversity(group: number): Uint8Array {
  const g = new GraphBuilder();
  const act = g.input('act', FLOAT, ['N', 'h', 'w', 'C']);
  const zero = g.floats('zero', Float32Array.of(0), []);
  const shape = g.op('Shape', [act]);
  const c = g.op('Slice', [shape, g.ints('i3', [3]), g.ints('i4', [4])]);
  const f = g.op('Reshape', [g.op('Relu', [act]), g.op('Concat', [g.ints('n_hw', [0, -1]), c], { axis: 0 })]); // [N, hw, C]
  const gram = g.op('MatMul', [g.op('Transpose', [f], { perm: [0, 2, 1] }), f]); // [N, C, C]
  const cc = g.op('Mul', [c, c]);
  const gf = g.op('Reshape', [gram, g.op('Concat', [g.ints('m1g', [-1, group]), cc], { axis: 0 })]); // [groups, g, C*C]
  const norm = g.op('Max', [g.op('ReduceL2', [gf], { axes: [2], keepdims: 1 }), g.floats('tiny', Float32Array.of(1e-10), [])]);
  const u = g.op('Div', [gf, norm]);
  const sims = g.op('MatMul', [u, g.op('Transpose', [u], { perm: [0, 2, 1] })]); // [groups, g, g]
  const axis2 = g.ints('axis2', [2]);
  const self = g.op('ReduceSum', [g.op('Mul', [u, u]), axis2], { keepdims: 0 });
  const values = g.op('Div', [g.op('Neg', [g.op('Sub', [g.op('ReduceSum', [sims, axis2], { keepdims: 0 }), self])]), g.floats('group', Float32Array.of(group), [])]);
  g.output(g.op('Reshape', [values, g.ints('m1', [-1])]), 'values');
  const sumU = g.op('ReduceSum', [u, g.ints('axis1', [1])], { keepdims: 1 });
  const dU = g.op('Mul', [g.op('Sub', [sumU, u]), g.floats('minus2g', Float32Array.of(-2 / group), [])]);
  const along = g.op('ReduceSum', [g.op('Mul', [u, dU]), axis2], { keepdims: 1 });
  const dGf = g.op('Div', [g.op('Sub', [dU, g.op('Mul', [u, along])]), norm]);
  const dG = g.op('Reshape', [dGf, g.op('Concat', [g.ints('m1', [-1]), c, c], { axis: 0 })]);
  const dF = g.op('MatMul', [f, g.op('Add', [dG, g.op('Transpose', [dG], { perm: [0, 2, 1] })])]);
  g.output(g.op('Where', [g.op('Greater', [act, zero]), g.op('Reshape', [dF, shape]), zero]), 'grad');
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
  const key = `${group}|${device}`;
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(buildDiversity(group), ortSessionOptions(availableParallelism(), device));
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  const res = await (await s).run({ act: new ort.Tensor('float32', act.data, act.shape) });
  return { values: res.values.data as Float32Array, grad: res.grad.data as Float32Array };
}
