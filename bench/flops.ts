// FLOPs of a gradient step, counted from the ONNX graph the engine runs: every Conv node, forward and
// backward (the adjoint of a pruned conv reads its fed kernel, a graph input, flipped in the graph by
// Reshape/Transpose/Slice: traced back to that input, whose dims give the same product),
// 2 * N * Cout * Hout * Wout * Cin * k * k with Cout, Cin, k read from the node's kernel and
// the spatial size from the layer the kernel belongs to (a VGG conv keeps its input's size, so its
// forward and its backward conv run at the layer's resolution).
import onnxProto from 'onnx-proto';
import { layerShapes, type ModelSpec } from '../generator/model/spec.ts';

const { onnx } = onnxProto;

/** FLOPs of one run of `graph` on N images of side `side`. */
export function convFlops(graph: Uint8Array, spec: ModelSpec, side: number, n: number): number {
  const g = onnx.ModelProto.decode(graph).graph!;
  const kernels = new Map([
    ...(g.initializer ?? []).map((t) => [t.name!, t.dims!.map(Number)] as const),
    ...(g.input ?? []).map((i) => [i.name!, (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue))] as const),
  ]);
  const producer = new Map((g.node ?? []).map((n) => [n.output![0], n] as const));
  const source = (name: string): string => {
    const p = producer.get(name);
    return p && ['Reshape', 'Transpose', 'Slice'].includes(p.opType!) ? source(p.input![0]) : name;
  };
  const shapes = layerShapes(spec, side);
  let flops = 0;
  for (const node of g.node ?? []) {
    if (node.opType !== 'Conv' && node.opType !== 'ConvTranspose') continue;
    const wName = source(node.input![1]);
    // The backward's masks and a pool's crop are depthwise Convs (per-channel scales, a one-hot tap;
    // autodiff-rules.ts): elementwise work and data movement, left out like the other elementwise ops.
    if (/^ad_(scale|crop)_/.test(wName)) continue;
    const dims = kernels.get(wName);
    // Kernels are named [c_|adN_]<layer>_W / _wflip (ir-emit.ts, autodiff.ts), so the layer gives the conv's resolution.
    const base = wName.replace(/^(c_|ad\d+_)/, '');
    const layer = spec.layers.find((l) => base === `${l.name}_W` || base === `${l.name}_wflip`);
    if (!dims || !layer) throw new Error(`bench: conv ${node.output![0]} has kernel ${wName}, not a layer's kernel`);
    const [h, w] = shapes.get(layer.name)!;
    const [cout, cin, kh, kw] = dims;
    flops += 2 * n * cout * h * w * cin * kh * kw;
  }
  return flops;
}
