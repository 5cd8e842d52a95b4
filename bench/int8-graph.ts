// An int8 version of a gradient graph, to measure what int8 would give on this machine (npm run bench --
// int8); not used by the engine. Every Conv on a constant 3x3 kernel with at least `minChannels` channels in
// and out becomes onnxruntime's QLinearConv (u8 activations, s8 weights with a scale per output channel):
// - a conv whose only consumer is a Relu (the forward) writes u8 with zero point 0, so the u8 clamp is the
//   ReLU, and the next such conv reads that u8 tensor (through a MaxPool on u8 where the network pools); its
//   bias is quantized in the graph from the fed scales; a DequantizeLinear gives the float ReLU output the
//   backward's masks read;
// - any other (the backward's adjoints) quantizes its float input with DynamicQuantizeLinear and writes u8
//   around zero point 128, dequantized to float; with `chainBackward` the masks between adjoints become u8
//   products and the next adjoint reads the u8 tensor (Int8Options).
// Each replaced conv's output scale is a graph input (`scales`): what a step would carry over from the last.
// Nodes no output needs any more (the float masks, dequantized tensors nothing reads) are left out.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

/** A fed output scale: the float tensor of the fp32 graph it is calibrated on, and the u8 levels it spans. */
export interface Int8Scale {
  input: string;
  calibrateOn: string;
  levels: 255 | 127;
  /** The u8 tensor the scale is for (zero point 0 for 255 levels, 128 for 127). */
  q: string;
}

export interface Int8Graph {
  bytes: Uint8Array;
  scales: Int8Scale[];
  /** The replaced convs, forward (chained in u8) and backward. */
  forward: number;
  backward: number;
}

const node = (opType: string, input: string[], output: string[], attribute: Node['attribute'] = []): Node => onnx.NodeProto.create({ opType, input, output, attribute });
const tensor = (name: string, dataType: number, dims: number[], data: ArrayBufferView): Tensor =>
  onnx.TensorProto.create({ name, dataType, dims, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });

/** s8 weights, symmetric, one scale per output channel (the first dim). */
function quantizeKernel(w: Tensor): { q: Int8Array; scale: Float32Array } {
  const raw = new Uint8Array(w.rawData!);
  const f = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const cout = Number(w.dims![0]);
  const per = f.length / cout;
  const q = new Int8Array(f.length);
  const scale = new Float32Array(cout);
  for (let c = 0; c < cout; c++) {
    let max = 0;
    for (let i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(f[i]));
    scale[c] = max / 127 || 1;
    for (let i = c * per; i < (c + 1) * per; i++) q[i] = Math.round(f[i] / scale[c]);
  }
  return { q, scale };
}

export interface Int8Options {
  minChannels?: number;
  /**
   * Keep the backward in u8 between its convs too: an adjoint's output stays u8 (zero point 128) and the ReLU
   * mask that follows is a u8 product (com.microsoft QLinearMul by the forward's u8 output clipped to {0, 1}),
   * read by the next adjoint without a DequantizeLinear/DynamicQuantizeLinear pair.
   */
  chainBackward?: boolean;
  /** Add each scale's u8 range as outputs `<input>_hi` and `<input>_lo` (ReduceMax, ReduceMin): what a loop rescales by. */
  rangeOutputs?: boolean;
}

export function quantizeConvs(graph: Uint8Array, { minChannels = 64, chainBackward = false, rangeOutputs = false }: Int8Options = {}): Int8Graph {
  const model = onnx.ModelProto.decode(graph);
  const g = model.graph!;
  const inits = new Map((g.initializer ?? []).map((t) => [t.name!, t]));
  const consumers = new Map<string, Node[]>();
  for (const n of g.node ?? []) for (const i of n.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const replaced = (n: Node): boolean => {
    const w = n.opType === 'Conv' ? inits.get(n.input![1]) : undefined;
    const dims = w?.dims?.map(Number) ?? [];
    const group = n.attribute?.find((a) => a.name === 'group')?.i ?? 1;
    return dims.length === 4 && dims[2] === 3 && dims[3] === 3 && dims[0] >= minChannels && dims[1] >= minChannels && Number(group) === 1;
  };
  const chained = (n: Node): boolean => {
    const c = consumers.get(n.output![0]) ?? [];
    return c.length === 1 && c[0].opType === 'Relu' && n.input!.length === 3 && inits.has(n.input![2]);
  };
  const producer = new Map((g.node ?? []).map((n) => [n.output![0], n]));
  g.initializer!.push(
    tensor('int8_z0', T.UINT8, [], Uint8Array.of(0)),
    tensor('int8_z128', T.UINT8, [], Uint8Array.of(128)),
    tensor('int8_one', T.UINT8, [], Uint8Array.of(1)),
    tensor('int8_unit', T.FLOAT, [], Float32Array.of(1)),
  );
  const u8 = new Map<string, { q: string; scale: string }>(); // a float tensor's u8 (zero point 0) twin
  const u8grad = new Map<string, { q: string; scale: string }>(); // an adjoint's output, u8 around 128
  const from = (name: string | undefined, op: string): Node | undefined => (name && producer.get(name)?.opType === op ? producer.get(name) : undefined);
  /**
   * The nodes of a {0, 1} u8 mask `out` equal to the float mask `m` when `m` is one of autodiff-rules' and its
   * forward tensors have u8 twins: a ReLU's Clip(Conv(y, 2^100), 0, 1) is Clip(y_u8, 0, 1); a tiled max-pool's
   * routing Relu(Conv(Add(x, Resize(Conv(pooled, -1))), 2^100, 1)) is Equal(x_u8, Resize(pooled_u8)) (the pool
   * keeps the scale, so equal floats are equal bytes).
   */
  const u8Mask = (m: string, out: string): Node[] | undefined => {
    const gate = from(from(m, 'Clip')?.input![0], 'Conv');
    if (gate && /^ad_scale_/.test(gate.input![1]) && u8.has(gate.input![0])) return [node('Clip', [u8.get(gate.input![0])!.q, 'int8_z0', 'int8_one'], [out])];
    const add = from(from(from(m, 'Relu')?.input![0], 'Conv')?.input![0], 'Add');
    const up = from(add?.input![1], 'Resize');
    const neg = from(up?.input![0], 'Conv');
    const [x, pooled] = [add?.input![0], neg?.input![0]];
    if (!up || !x || !pooled || !u8.has(x) || !u8.has(pooled) || u8.get(x)!.scale !== u8.get(pooled)!.scale) return undefined;
    return [
      node('Resize', [u8.get(pooled)!.q, ...up.input!.slice(1)], [`${out}_up`], up.attribute ?? []),
      node('Equal', [u8.get(x)!.q, `${out}_up`], [`${out}_eq`]),
      node('Cast', [`${out}_eq`], [out], [onnx.AttributeProto.create({ name: 'to', i: T.UINT8, type: onnx.AttributeProto.AttributeType.INT })]),
    ];
  };
  const droppedRelu = new Set<string>();
  const scales: Int8Scale[] = [];
  const nodes: Node[] = [];
  let forward = 0;
  let backward = 0;
  for (const n of g.node ?? []) {
    if (n.opType === 'Relu' && droppedRelu.has(n.output![0])) continue;
    nodes.push(n);
    if (chainBackward && n.opType === 'Resize' && u8grad.has(n.input![0])) {
      const a = u8grad.get(n.input![0])!;
      nodes.push(node('Resize', [a.q, ...n.input!.slice(1)], [`${n.output![0]}_u8`], n.attribute ?? []));
      u8grad.set(n.output![0], { q: `${n.output![0]}_u8`, scale: a.scale });
    }
    const mask = chainBackward && n.opType === 'Mul' ? [0, 1].map((k) => u8grad.has(n.input![k]) && u8Mask(n.input![1 - k], `${n.output![0]}_mask`)).findIndex((m) => m) : -1;
    if (mask >= 0) {
      const a = u8grad.get(n.input![mask])!;
      const out = n.output![0];
      nodes.push(...u8Mask(n.input![1 - mask], `${out}_mask`)!);
      nodes.push(onnx.NodeProto.create({ opType: 'QLinearMul', domain: 'com.microsoft', input: [a.q, a.scale, 'int8_z128', `${out}_mask`, 'int8_unit', 'int8_z0', a.scale, 'int8_z128'], output: [`${out}_u8`] }));
      u8grad.set(out, { q: `${out}_u8`, scale: a.scale });
    }
    if (n.opType === 'MaxPool' && u8.has(n.input![0])) {
      const src = u8.get(n.input![0])!;
      nodes.push(node('MaxPool', [src.q], [`${n.output![0]}_u8`], n.attribute ?? []));
      u8.set(n.output![0], { q: `${n.output![0]}_u8`, scale: src.scale });
    }
    if (!replaced(n)) continue;
    nodes.pop();
    const p = `int8_${forward + backward}`;
    const { q, scale } = quantizeKernel(inits.get(n.input![1])!);
    const cout = scale.length;
    g.initializer!.push(
      tensor(`${p}_w`, T.INT8, inits.get(n.input![1])!.dims!.map(Number), q),
      tensor(`${p}_ws`, T.FLOAT, [cout], scale),
      tensor(`${p}_wz`, T.INT8, [cout], new Int8Array(cout)),
    );
    g.input!.push(onnx.ValueInfoProto.create({ name: `${p}_ys`, type: { tensorType: { elemType: T.FLOAT, shape: { dim: [] } } } }));
    const attrs = (n.attribute ?? []).filter((a) => a.name !== 'group');
    const x = n.input![0];
    if (chained(n)) {
      forward++;
      const relu = consumers.get(n.output![0])![0].output![0];
      droppedRelu.add(relu);
      let xq = u8.get(x);
      let xz = 'int8_z0';
      if (!xq) {
        nodes.push(node('DynamicQuantizeLinear', [x], [`${p}_xq`, `${p}_xs`, `${p}_xz`]));
        xq = { q: `${p}_xq`, scale: `${p}_xs` };
        xz = `${p}_xz`;
      }
      // QLinearConv's bias is int32 at the scale x_scale * w_scale, known only when the step's scales are.
      nodes.push(
        node('Mul', [xq.scale, `${p}_ws`], [`${p}_bs`]),
        node('Div', [n.input![2], `${p}_bs`], [`${p}_bd`]),
        node('Round', [`${p}_bd`], [`${p}_br`]),
        node('Cast', [`${p}_br`], [`${p}_bq`], [onnx.AttributeProto.create({ name: 'to', i: T.INT32, type: onnx.AttributeProto.AttributeType.INT })]),
        node('QLinearConv', [xq.q, xq.scale, xz, `${p}_w`, `${p}_ws`, `${p}_wz`, `${p}_ys`, 'int8_z0', `${p}_bq`], [`${p}_yq`], attrs),
        node('DequantizeLinear', [`${p}_yq`, `${p}_ys`, 'int8_z0'], [relu]),
      );
      u8.set(relu, { q: `${p}_yq`, scale: `${p}_ys` });
      scales.push({ input: `${p}_ys`, calibrateOn: n.output![0], levels: 255, q: `${p}_yq` });
    } else {
      backward++;
      const out = n.output![0];
      const bias = n.input![2];
      const xg = u8grad.get(x);
      if (!xg) nodes.push(node('DynamicQuantizeLinear', [x], [`${p}_xq`, `${p}_xs`, `${p}_xz`]));
      const [xq, xs, xz] = xg ? [xg.q, xg.scale, 'int8_z128'] : [`${p}_xq`, `${p}_xs`, `${p}_xz`];
      if (!bias) u8grad.set(out, { q: `${p}_yq`, scale: `${p}_ys` });
      nodes.push(
        node('QLinearConv', [xq, xs, xz, `${p}_w`, `${p}_ws`, `${p}_wz`, `${p}_ys`, 'int8_z128'], [`${p}_yq`], attrs),
        node('DequantizeLinear', [`${p}_yq`, `${p}_ys`, 'int8_z128'], [bias ? `${p}_y` : out]),
      );
      if (bias) {
        const b = inits.get(bias);
        if (!b) throw new Error(`int8: conv ${out} has a fed bias ${bias}; only constant biases are handled`);
        g.initializer!.push(onnx.TensorProto.create({ name: `${p}_b`, dataType: T.FLOAT, dims: [Number(b.dims![0]), 1, 1], rawData: b.rawData }));
        nodes.push(node('Add', [`${p}_y`, `${p}_b`], [out]));
      }
      scales.push({ input: `${p}_ys`, calibrateOn: out, levels: 127, q: `${p}_yq` });
    }
  }
  if (rangeOutputs)
    for (const sc of scales)
      for (const [op, end] of [['ReduceMax', 'hi'], ['ReduceMin', 'lo']] as const) {
        nodes.push(node(op, [sc.q], [`${sc.input}_${end}`], [onnx.AttributeProto.create({ name: 'keepdims', i: 0, type: onnx.AttributeProto.AttributeType.INT })]));
        g.output!.push(onnx.ValueInfoProto.create({ name: `${sc.input}_${end}`, type: { tensorType: { elemType: T.UINT8, shape: { dim: [] } } } }));
      }
  g.node = prune(nodes, (g.output ?? []).map((o) => o.name!));
  if (chainBackward) model.opsetImport!.push({ domain: 'com.microsoft', version: 1 });
  return { bytes: onnx.ModelProto.encode(model).finish(), scales, forward, backward };
}

/** The nodes the outputs need (a float tensor whose consumers all moved to its u8 twin is left out). */
function prune(nodes: Node[], outputs: string[]): Node[] {
  const producer = new Map(nodes.flatMap((n) => (n.output ?? []).map((o) => [o, n] as const)));
  const needed = new Set<Node>();
  const stack = [...outputs];
  while (stack.length) {
    const n = producer.get(stack.pop()!);
    if (!n || needed.has(n)) continue;
    needed.add(n);
    stack.push(...(n.input ?? []));
  }
  return nodes.filter((n) => needed.has(n));
}

/** The fp32 graph with the tensors the scales are calibrated on as extra outputs. */
export function withCalibrationOutputs(graph: Uint8Array, scales: Int8Scale[]): Uint8Array {
  const model = onnx.ModelProto.decode(graph);
  for (const s of scales) model.graph!.output!.push(onnx.ValueInfoProto.create({ name: s.calibrateOn, type: { tensorType: { elemType: T.FLOAT } } }));
  return onnx.ModelProto.encode(model).finish();
}

/** A scale from a calibration run's tensor, with `margin` headroom (the ReLU side reads only the positive part). */
function scaleFrom(values: Float32Array, s: Int8Scale, margin = 1.1): number {
  let max = 0;
  for (const v of values) max = Math.max(max, s.levels === 255 ? v : Math.abs(v));
  return (max * margin) / s.levels || 1;
}

/** Every scale's value, from the outputs of a run of withCalibrationOutputs' graph. */
export function calibrate(scales: Int8Scale[], outputs: Record<string, { data: unknown }>): Float32Array {
  return Float32Array.from(scales, (s) => scaleFrom(outputs[s.calibrateOn].data as Float32Array, s));
}
