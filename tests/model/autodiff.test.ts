// The differentiator against central finite differences of the forward graph (every op, several
// attribute combinations) and, for the ops tfjs has, against tfjs's autodiff. Graphs are small and
// random; shapes are inferred for batch 1 and the sessions run batch 2, so a rule that bakes the batch
// in fails.
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { emitBackward } from '../../generator/model/autodiff.ts';
import type { AttrValue, IrConst, IrGraph, IrNode } from '../../generator/model/ir.ts';
import { constantName, emitForward } from '../../generator/model/ir-emit.ts';
import { inferShapes } from '../../generator/model/ir-shapes.ts';
import { FLOAT, GraphBuilder } from '../../generator/model/onnx-builder.ts';
import { readOnnx } from '../../generator/model/onnx-read.ts';
import { loadOrt, type OrtModule, ortSessionOptions } from '../../generator/model/ort.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

/** Deterministic uniform [-1, 1) (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}
const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** A small IR graph built node by node, input 'x'; constants are random unless given. */
class Net {
  readonly nodes: IrNode[] = [];
  readonly constants = new Map<string, IrConst>();
  private k = 0;
  constructor(
    readonly dims: number[],
    readonly rand = rng(7),
  ) {}
  w(dims: number[], data?: Float32Array): string {
    const name = `w${this.k++}`;
    this.constants.set(name, { dims, type: 'float', data: data ?? Float32Array.from({ length: size(dims) }, () => this.rand()) });
    return name;
  }
  i64(values: number[]): string {
    const name = `s${this.k++}`;
    this.constants.set(name, { dims: [values.length], type: 'int64', data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  }
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, name = `${op.toLowerCase()}${this.k++}`): string {
    this.nodes.push({ op, name, inputs, outputs: [name], attrs });
    return name;
  }
  conv(x: string, cin: number, cout: number, k: number, attrs: Record<string, AttrValue> = {}): string {
    const group = typeof attrs.group === 'number' ? attrs.group : 1;
    return this.op('Conv', [x, this.w([cout, cin / group, k, k]), this.w([cout])], { kernel_shape: [k, k], ...attrs });
  }
  graph(): IrGraph {
    return { input: 'x', inputDims: [null, ...this.dims.slice(1)], outputs: [], nodes: this.nodes, constants: this.constants };
  }
}

let ort: OrtModule;
beforeAll(async () => {
  ort = await loadOrt();
  await tf.setBackend('cpu');
});

interface Run {
  x: Float32Array;
  /** The target at x. */
  y: Float32Array;
  seed: Float32Array;
  dx: Float32Array;
  /** <seed, target> at x. */
  f: (x: Float32Array) => Promise<number>;
  xDims: number[];
  yDims: number[];
}

/** Forward + backward in one session; shapes for the net's dims, run at `batch`. */
async function run(net: Net, target: string, batch: number | null = 2, seedOf?: (yDims: number[], rand: () => number) => Float32Array, xOf?: (n: number) => Float32Array): Promise<Run> {
  const ir = net.graph();
  // Ops without a shape rule (the tests' unsupported ones) are elementwise: shaped as Identity.
  const shapes = inferShapes({ ...ir, nodes: ir.nodes.map((n) => (['Sqrt', 'Tanh'].includes(n.op) ? { ...n, op: 'Identity' } : n)) }, net.dims);
  const g = new GraphBuilder();
  const xDims = batch === null ? net.dims : [batch, ...net.dims.slice(1)];
  const yDims = batch === null ? shapes.get(target)! : [batch, ...shapes.get(target)!.slice(1)];
  const xIn = g.input('x', FLOAT, ['N', ...xDims.slice(1)]);
  const seedIn = g.input('seed', FLOAT, ['N', ...yDims.slice(1)]);
  const values = emitForward(g, ir, xIn, [target]);
  const dx = emitBackward(g, ir, values, shapes, target, seedIn);
  g.output(values.get(target), 'y');
  g.output(dx, 'dx');
  const session = await ort.InferenceSession.create(g.encode(['y', 'dx']), ortSessionOptions(1));
  const rand = rng(11);
  // Evenly spaced values in random order, off 0: any two inputs differ by 2/n, so a perturbation below
  // 1/n moves no ReLU on the input across 0 and swaps no max-pool window's argmax (finite differences
  // of a piecewise linear function are exact then).
  const n = size(xDims);
  const x = xOf?.(n) ?? Float32Array.from({ length: n }, (_, i) => ((i + 0.5) * 2) / n - 1);
  for (let i = xOf ? 0 : n - 1; i > 0; i--) {
    const j = Math.floor(((rand() + 1) / 2) * (i + 1));
    [x[i], x[j]] = [x[j], x[i]];
  }
  const seed = seedOf ? seedOf(yDims, rand) : Float32Array.from({ length: size(yDims) }, () => rand());
  // Fed constants (a pruned conv's weights) are graph inputs: fed their values on every run.
  const fed = [...net.constants].flatMap(([name, c]) => (c.type === 'float' && c.fed ? [[constantName(name), new ort.Tensor('float32', c.data, c.dims)] as const] : []));
  const feeds = (xv: Float32Array) => ({ x: new ort.Tensor('float32', xv, xDims), seed: new ort.Tensor('float32', seed, yDims), ...Object.fromEntries(fed) });
  const out = await session.run(feeds(x));
  const f = async (xv: Float32Array) => {
    const y = (await session.run(feeds(xv))).y.data as Float32Array;
    return y.reduce((s, v, i) => s + v * seed[i], 0);
  };
  expect(out.dx.dims).toEqual(xDims);
  return { x, y: out.y.data as Float32Array, seed, dx: out.dx.data as Float32Array, f, xDims, yDims };
}

/** <dx, v> against (f(x + eps v) - f(x - eps v)) / 2 eps for random directions v. */
async function checkFd(r: Run, eps = 1e-3, tol = 1e-2, directions = 2): Promise<void> {
  const rand = rng(23);
  for (let d = 0; d < directions; d++) {
    const v = Float32Array.from(r.x, () => rand());
    const shifted = (s: number) => Float32Array.from(r.x, (xi, i) => xi + s * eps * v[i]);
    const fd = ((await r.f(shifted(1))) - (await r.f(shifted(-1)))) / (2 * eps);
    const gv = r.dx.reduce((s, g, i) => s + g * v[i], 0);
    expect(Math.abs(gv), 'the gradient must not vanish (a test that cannot fail)').toBeGreaterThan(1e-3);
    expect(Math.abs(gv - fd) / Math.max(Math.abs(gv), Math.abs(fd))).toBeLessThan(tol);
  }
}

const nhwc = (t: tf.Tensor4D) => tf.transpose(t, [0, 2, 3, 1]);
const nchw = (t: tf.Tensor4D) => tf.transpose(t, [0, 3, 1, 2]);
/** ONNX conv weights [M, C, kh, kw] as tfjs's [kh, kw, C, M]. */
const tfKernel = (net: Net, w: string) => tf.transpose(tf.tensor4d(net.constants.get(w)!.data as Float32Array, net.constants.get(w)!.dims as [number, number, number, number]), [2, 3, 1, 0]);
const bias = (net: Net, b: string) => tf.tensor1d(net.constants.get(b)!.data as Float32Array);

/** tfjs's input gradient of <seed, fn(x)> (fn on NCHW tensors) against ours, relative L2. */
function checkTf(r: Run, fn: (x: tf.Tensor4D) => tf.Tensor): void {
  const [theirs, forward] = tf.tidy(() => {
    const x: tf.Tensor = tf.reshape(tf.tensor1d(r.x), r.xDims);
    const seed = tf.tensor(r.seed, r.yDims);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fn(t as tf.Tensor4D).reshape(r.yDims), seed)))(x);
    return [grad.dataSync(), fn(x as tf.Tensor4D).dataSync()];
  });
  // The same function first (else the gradients need not agree), then its gradient.
  expect(relL2(forward, r.y)).toBeLessThan(1e-5);
  expect(relL2(theirs, r.dx)).toBeLessThan(1e-4);
}

/** |a - b| / |a|, failing for a zero reference. */
function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += a[i] ** 2;
  }
  expect(a.length).toBe(b.length);
  expect(den).toBeGreaterThan(0);
  return Math.sqrt(num / den);
}

/** Conv node's weight and bias constant names. */
const wb = (net: Net, conv: string) => net.nodes.find((n) => n.outputs[0] === conv)!.inputs.slice(1) as [string, string];

describe('emitBackward: Conv', () => {
  const cases: Array<{ name: string; k: number; cin: number; cout: number; attrs: Record<string, AttrValue>; hw: number; tfPad?: 'same' | 'valid' | [[number, number], [number, number]]; depthwise?: boolean }> = [
    { name: '3x3 stride 1 pads 1 (flipped conv)', k: 3, cin: 3, cout: 4, hw: 8, attrs: { pads: [1, 1, 1, 1] }, tfPad: [[1, 1], [1, 1]] },
    { name: '3x3 stride 2 asymmetric pads, odd size (output_padding)', k: 3, cin: 3, cout: 4, hw: 9, attrs: { strides: [2, 2], pads: [1, 0, 0, 1] }, tfPad: [[1, 0], [0, 1]] },
    { name: '3x3 stride 2 no pads, even size', k: 3, cin: 2, cout: 3, hw: 10, attrs: { strides: [2, 2] }, tfPad: 'valid' },
    { name: '3x3 dilation 2 pads 2', k: 3, cin: 3, cout: 2, hw: 9, attrs: { dilations: [2, 2], pads: [2, 2, 2, 2] } }, // tfjs has no conv2d gradient with dilation
    { name: '1x1 stride 2', k: 1, cin: 4, cout: 3, hw: 8, attrs: { strides: [2, 2] }, tfPad: 'valid' },
    { name: '3x3 pads 3 (> k-1: transposed conv at stride 1)', k: 3, cin: 2, cout: 2, hw: 6, attrs: { pads: [3, 3, 3, 3] }, tfPad: [[3, 3], [3, 3]] },
    { name: 'auto_pad SAME_UPPER stride 2', k: 3, cin: 3, cout: 4, hw: 8, attrs: { strides: [2, 2], auto_pad: 'SAME_UPPER' }, tfPad: 'same' },
    { name: 'groups 2, stride 1', k: 3, cin: 4, cout: 6, hw: 7, attrs: { group: 2, pads: [1, 1, 1, 1] } },
    { name: 'groups 2, stride 2 (transposed, grouped)', k: 3, cin: 4, cout: 6, hw: 9, attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] } },
    { name: 'depthwise (groups = channels, multiplier 2), stride 2 SAME_UPPER', k: 3, cin: 3, cout: 6, hw: 8, attrs: { group: 3, strides: [2, 2], auto_pad: 'SAME_UPPER' }, tfPad: 'same', depthwise: true },
    { name: 'depthwise stride 1 pads 1', k: 3, cin: 3, cout: 3, hw: 7, attrs: { group: 3, pads: [1, 1, 1, 1] }, tfPad: [[1, 1], [1, 1]], depthwise: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const net = new Net([1, c.cin, c.hw, c.hw]);
      const y = net.conv('x', c.cin, c.cout, c.k, c.attrs);
      const r = await run(net, y);
      await checkFd(r);
      if (!c.tfPad) return;
      const [w, b] = wb(net, y);
      const strides = (c.attrs.strides as [number, number] | undefined) ?? [1, 1];
      const dilations = (c.attrs.dilations as [number, number] | undefined) ?? [1, 1];
      const pad = Array.isArray(c.tfPad) ? ([[0, 0], ...c.tfPad, [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : c.tfPad;
      checkTf(r, (x) => {
        if (c.depthwise) {
          const wc = net.constants.get(w)!;
          const mult = c.cout / c.cin;
          const filter = tf.transpose(tf.tensor4d(wc.data as Float32Array, [c.cin, mult, c.k, c.k]), [2, 3, 0, 1]) as tf.Tensor4D;
          return nchw(tf.add(tf.depthwiseConv2d(nhwc(x), filter, strides, pad as 'same', 'NHWC', dilations), bias(net, b)) as tf.Tensor4D);
        }
        return nchw(tf.add(tf.conv2d(nhwc(x), tfKernel(net, w) as tf.Tensor4D, strides, pad as 'same', 'NHWC', dilations), bias(net, b)) as tf.Tensor4D);
      });
    });
  }
});

describe('emitBackward: Conv on fed weights (a pruned conv: graph inputs, not initializers)', () => {
  // The stride-1 adjoint flips the fed kernel in the graph (Reshape, Transpose, Slice with steps -1);
  // a strided one reads it with ConvTranspose. Both must give the gradient constant weights give.
  const cases: Array<{ name: string; cin: number; cout: number; hw: number; attrs: Record<string, AttrValue>; adjoint: string }> = [
    { name: '3x3 stride 1 pads 1, 2 of 5 output channels', cin: 5, cout: 2, hw: 8, attrs: { pads: [1, 1, 1, 1] }, adjoint: 'Slice' },
    { name: 'groups 2, stride 1, asymmetric pads', cin: 4, cout: 6, hw: 7, attrs: { group: 2, pads: [1, 0, 1, 2] }, adjoint: 'Slice' },
    { name: '3x3 stride 2 (ConvTranspose)', cin: 3, cout: 2, hw: 9, attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, adjoint: 'ConvTranspose' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const constant = new Net([1, c.cin, c.hw, c.hw]);
      const y = constant.conv('x', c.cin, c.cout, 3, c.attrs);
      const fedNet = new Net([1, c.cin, c.hw, c.hw]);
      for (const [name, v] of constant.constants) fedNet.constants.set(name, { ...v, ...(v.type === 'float' ? { fed: true } : {}) } as IrConst);
      fedNet.nodes.push(...constant.nodes);
      const [r, fed] = [await run(constant, y), await run(fedNet, y)];
      await checkFd(fed);
      expect(relL2(r.dx, fed.dx)).toBeLessThan(1e-6);
      const g = new GraphBuilder();
      const values = emitForward(g, fedNet.graph(), g.input('x', FLOAT, ['N', c.cin, c.hw, c.hw]), [y]);
      g.output(emitBackward(g, fedNet.graph(), values, inferShapes(fedNet.graph(), fedNet.dims), y, g.input('seed', FLOAT, ['N', c.cout, 'H', 'W'])), 'dx');
      const ops = onnxProto.onnx.ModelProto.decode(g.encode(['dx'])).graph!.node!.map((n) => n.opType);
      expect(ops).toContain(c.adjoint);
      if (c.adjoint === 'Slice') expect(ops).not.toContain('ConvTranspose');
    });
  }
});

describe('emitBackward: pools', () => {
  const cases: Array<{ name: string; op: string; attrs: Record<string, AttrValue>; hw: number; tf?: { k: number; s: number; pad: 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] } }> = [
    { name: 'MaxPool 2x2 stride 2, odd size (a one-hot conv crops, Pad restores)', op: 'MaxPool', hw: 9, attrs: { kernel_shape: [2, 2], strides: [2, 2] }, tf: { k: 2, s: 2, pad: 'valid' } },
    { name: 'MaxPool 2x2 stride 2 ceil_mode, odd size', op: 'MaxPool', hw: 9, attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } },
    { name: 'MaxPool 3x3 stride 2 (overlapping)', op: 'MaxPool', hw: 11, attrs: { kernel_shape: [3, 3], strides: [2, 2] }, tf: { k: 3, s: 2, pad: 'valid' } },
    { name: 'MaxPool 3x3 stride 2 ceil_mode (SqueezeNet)', op: 'MaxPool', hw: 10, attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } },
    { name: 'MaxPool 3x3 stride 1 pads 1', op: 'MaxPool', hw: 7, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, tf: { k: 3, s: 1, pad: 'same' } },
    { name: 'MaxPool 3x3 stride 2 SAME_UPPER', op: 'MaxPool', hw: 8, attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, tf: { k: 3, s: 2, pad: 'same' } },
    { name: 'AveragePool 3x3 stride 2', op: 'AveragePool', hw: 11, attrs: { kernel_shape: [3, 3], strides: [2, 2] }, tf: { k: 3, s: 2, pad: 'valid' } },
    { name: 'AveragePool 3x3 pads 1, count_include_pad 0', op: 'AveragePool', hw: 7, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, tf: { k: 3, s: 1, pad: 'same' } },
    { name: 'AveragePool 3x3 pads 1, count_include_pad 1', op: 'AveragePool', hw: 7, attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], count_include_pad: 1 }, tf: { k: 3, s: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] } },
    { name: 'AveragePool 3x3 stride 2 SAME_UPPER', op: 'AveragePool', hw: 8, attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }, tf: { k: 3, s: 2, pad: 'same' } },
    { name: 'AveragePool 3x3 stride 2 ceil_mode, count_include_pad 0', op: 'AveragePool', hw: 10, attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } },
    { name: 'AveragePool 3x3 stride 2 ceil_mode pads 1, count_include_pad 1', op: 'AveragePool', hw: 10, attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 } },
    { name: 'AveragePool 2x2 stride 2 ceil_mode pads 1, count_include_pad 0', op: 'AveragePool', hw: 8, attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const net = new Net([1, 3, c.hw, c.hw]);
      const r = await run(net, net.op(c.op, ['x'], c.attrs));
      const t = c.tf;
      if (!t) return checkFd(r);
      checkTf(r, (x) => {
        if (c.op === 'MaxPool') return nchw(tf.maxPool(nhwc(x), t.k, t.s, t.pad as 'same'));
        if (t.pad === 'valid') return nchw(tf.avgPool(nhwc(x), t.k, t.s, t.pad));
        // tfjs's avgPool gradient divides by k·k even where its forward divides by the clipped window
        // (AvgPoolGrad's avgMultiplier), so padded pools are a depthwise sum over the window count.
        const ones = tf.ones([t.k, t.k, 3, 1]) as tf.Tensor4D;
        const sum = (u: tf.Tensor4D) => tf.depthwiseConv2d(u, ones, t.s, t.pad as 'same');
        const count = c.attrs.count_include_pad === 1 ? t.k * t.k : sum(tf.onesLike(nhwc(x)));
        return nchw(tf.div(sum(nhwc(x)), count) as tf.Tensor4D);
      });
      await checkFd(r);
    });
  }

  it('MaxPool 2x2 stride 2, tiled (even size: Relu of a depthwise Conv routes), against tfjs and finite differences', async () => {
    const net = new Net([1, 3, 8, 8]);
    const r = await run(net, net.op('MaxPool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] }));
    checkTf(r, (x) => nchw(tf.maxPool(nhwc(x), 2, 2, 'valid')));
    await checkFd(r);
  });

  it('a tiled MaxPool routes exactly, to every tie of a window; after a ReLU, not where the window is all zeros', async () => {
    // Windows with ties, zeros, tiny and huge values: each input gets its window's seed exactly where it
    // equals the window's max (and, after the ReLU, where that max is above 0), else exactly 0.
    // Window contents (2x2, row-major); tiny values differ by at least 2^-100 (see gatePositive).
    const windows = [[2, 2, -1, 2], [0, 0, -0, -3], [1e-29, 5e-30, 1e-29, 0], [3e38, -3e38, 3e38, 1], [7, 7, 7, 7], [-5, -5, -6, -5], [1e-20, 2e-20, 2e-20, 2e-20], [0.5, 0.25, 0.5, 0.5]];
    const offsets = [0, 1, 4, 5];
    // Side 5: a row and a column outside every window (cropped, then padded back), holding 1e6, above
    // every window's max, which must neither receive a gradient nor change the routing.
    for (const [side, afterRelu] of [[4, false], [4, true], [5, false], [5, true]] as const) {
      const plane = side * side;
      const xOf = (n: number) => {
        const x = new Float32Array(n).fill(1e6);
        for (let i = 0; i < n; i++) {
          const [b, y, xx] = [Math.floor(i / plane), Math.floor(i / side) % side, i % side];
          if (y < 4 && xx < 4) x[i] = windows[(b * 4 + (y >> 1) * 2 + (xx >> 1)) % windows.length][(y & 1) * 2 + (xx & 1)];
        }
        return x;
      };
      const net = new Net([1, 2, side, side]);
      const input = afterRelu ? net.op('Relu', ['x']) : 'x';
      const r = await run(net, net.op('MaxPool', [input], { kernel_shape: [2, 2], strides: [2, 2] }), 2, undefined, xOf);
      const [n, c] = [r.xDims[0], r.xDims[1]];
      const expected = new Float32Array(r.x.length);
      for (let b = 0; b < n * c; b++)
        for (let wy = 0; wy < 2; wy++)
          for (let wx = 0; wx < 2; wx++) {
            const at = offsets.map((o) => b * plane + (wy * 2 + (o >> 2)) * side + wx * 2 + (o & 1));
            const v = at.map((i) => (afterRelu ? Math.max(0, r.x[i]) : r.x[i]));
            const max = Math.max(...v);
            at.forEach((i, k) => (expected[i] = v[k] === max && (!afterRelu || max > 0) ? r.seed[b * 4 + wy * 2 + wx] : 0));
          }
      expect([...r.dx].map((d) => d + 0), `side ${side}, after a ReLU: ${afterRelu}`).toEqual([...expected].map((d) => d + 0));
    }
  });

  it('GlobalAveragePool', async () => {
    const net = new Net([1, 3, 5, 6]);
    await checkFd(await run(net, net.op('GlobalAveragePool', ['x'])));
  });
});

describe('emitBackward: elementwise, merges, dense', () => {
  it('Relu (tfjs)', async () => {
    const net = new Net([1, 3, 4, 5]);
    const r = await run(net, net.op('Relu', ['x']));
    await checkFd(r);
    checkTf(r, (x) => tf.relu(x));
  });

  it('a ReLU mask is exactly 0 or 1: zeros (of both signs) and negatives stop the gradient; 1e-30 up to 3e38 pass it unscaled', async () => {
    const values = [0, -0, 1e-30, -1e-30, 1e-20, 1, -1, 3e38, -3e38, 2 ** -100, 0.5, -2];
    for (const dims of [[1, 3, 2, 2], [1, 12]]) {
      const net = new Net(dims);
      const r = await run(net, net.op('Relu', ['x']), 2, undefined, (n) => Float32Array.from({ length: n }, (_, i) => values[i % values.length]));
      expect([...r.dx].map((d) => d + 0), `rank ${dims.length}`).toEqual([...r.x].map((v, i) => (v > 0 ? r.seed[i] : 0)));
    }
  });

  it('a branch split and merged by Concat, then a 2-layer chain (tfjs)', async () => {
    const net = new Net([1, 3, 8, 8]);
    const squeeze = net.op('Relu', [net.conv('x', 3, 2, 1)]);
    const a = net.op('Relu', [net.conv(squeeze, 2, 3, 1)]);
    const b = net.op('Relu', [net.conv(squeeze, 2, 4, 3, { pads: [1, 1, 1, 1] })]);
    const cat = net.op('Concat', [a, b], { axis: 1 });
    const pooled = net.op('MaxPool', [cat], { kernel_shape: [3, 3], strides: [2, 2] });
    const y = net.op('Relu', [net.conv(pooled, 7, 2, 3, { pads: [1, 1, 1, 1] })]);
    const r = await run(net, y);
    await checkFd(r);
    const conv = (t: tf.Tensor4D, name: string, pad: number) => {
      const [w, bb] = wb(net, net.nodes.find((n) => n.outputs[0] === name)!.inputs[0]);
      return tf.relu(tf.add(tf.conv2d(t, tfKernel(net, w) as tf.Tensor4D, 1, pad === 0 ? 'valid' : [[0, 0], [pad, pad], [pad, pad], [0, 0]]), bias(net, bb))) as tf.Tensor4D;
    };
    checkTf(r, (x) => {
      const s = conv(nhwc(x), squeeze, 0);
      const catT = tf.concat([conv(s, a, 0), conv(s, b, 1)], 3);
      return nchw(conv(tf.maxPool(catT, 3, 2, 'valid'), y, 1));
    });
  });

  it('a branch merged by Add, with a broadcast (per-channel) summand computed from the input', async () => {
    const net = new Net([1, 3, 6, 6]);
    const a = net.conv('x', 3, 4, 3, { pads: [1, 1, 1, 1] });
    const b = net.conv('x', 3, 4, 1);
    const sum = net.op('Add', [net.op('Relu', [a]), b]);
    const y = net.op('Add', [sum, net.op('GlobalAveragePool', [a])]);
    await checkFd(await run(net, net.op('Add', [y, net.w([4, 1, 1])])));
  });

  it('a value read twice by one node (x + x), then Identity and Dropout', async () => {
    const net = new Net([1, 2, 3, 3]);
    const y = net.op('Dropout', [net.op('Identity', [net.op('Add', ['x', 'x'])])]);
    const r = await run(net, y);
    r.dx.forEach((g, i) => expect(g).toBeCloseTo(2 * r.seed[i], 5));
  });

  it('Flatten, Gemm (alpha, beta, transB, bias C), Softmax (tfjs)', async () => {
    const net = new Net([1, 2, 3, 3]);
    const flat = net.op('Flatten', [net.op('Relu', ['x'])], { axis: 1 });
    const [bw, cw] = [net.w([5, 18]), net.w([5])];
    const y = net.op('Softmax', [net.op('Gemm', [flat, bw, cw], { alpha: { float: 0.7 }, beta: { float: 0.5 }, transB: 1 })], { axis: 1 });
    const r = await run(net, y);
    await checkFd(r);
    const bt = tf.tensor2d(net.constants.get(bw)!.data as Float32Array, [5, 18]);
    const ct = tf.tensor1d(net.constants.get(cw)!.data as Float32Array);
    checkTf(r, (x) => tf.softmax(tf.add(tf.mul(tf.matMul(tf.relu(x).reshape([2, 18]), bt, false, true), 0.7), tf.mul(ct, 0.5))));
  });

  it('Gemm transA (no batch axis) and transB', async () => {
    const net = new Net([5, 4]);
    const y = net.op('Gemm', ['x', net.w([3, 5])], { transA: 1, transB: 1, alpha: { float: 1.5 } });
    await checkFd(await run(net, y, null));
  });

  it('Reshape (constant shape with 0 and -1), MatMul (tfjs)', async () => {
    const net = new Net([1, 3, 2, 2]);
    const flat = net.op('Reshape', ['x', net.i64([0, -1])]);
    const m = net.w([12, 4]);
    const r = await run(net, net.op('MatMul', [flat, m]));
    await checkFd(r);
    checkTf(r, (x) => tf.matMul(x.reshape([2, 12]), tf.tensor2d(net.constants.get(m)!.data as Float32Array, [12, 4])));
  });

  it('BatchNormalization (inference) and Softmax over channels of an NCHW value', async () => {
    const net = new Net([1, 3, 4, 4]);
    const variance = net.w([3], Float32Array.of(0.5, 2, 0.1));
    const bn = net.op('BatchNormalization', ['x', net.w([3]), net.w([3]), net.w([3]), variance], { epsilon: { float: 1e-3 } });
    await checkFd(await run(net, net.op('Softmax', [bn], { axis: 1 })));
  });
});

describe('emitBackward: arithmetic (the image side and the diversity penalty are made of it)', () => {
  const scalar = (net: Net, v: number) => {
    const name = `k${net.constants.size}`;
    net.constants.set(name, { dims: [], type: 'int64', data: BigInt64Array.of(BigInt(v)) });
    return name;
  };

  it('Sub, Mul and Div of computed values with broadcasting, Neg, Sigmoid (tfjs)', async () => {
    const net = new Net([1, 3, 4, 4]);
    const scale = net.w([3, 1, 1]);
    const a = net.op('Mul', ['x', scale]);
    const c = net.op('Sub', [a, net.op('GlobalAveragePool', ['x'])]);
    const d = net.op('Mul', [c, 'x']);
    const one = net.w([], Float32Array.of(1));
    const e = net.op('Div', [d, net.op('Add', [net.op('Mul', ['x', 'x']), one])]);
    const r = await run(net, net.op('Sigmoid', [net.op('Neg', [e])]));
    await checkFd(r);
    const k = tf.tensor3d(net.constants.get(scale)!.data as Float32Array, [3, 1, 1]);
    checkTf(r, (x) => tf.sigmoid(tf.neg(tf.div(tf.mul(tf.sub(tf.mul(x, k), tf.mean(x, [2, 3], true)), x), tf.add(tf.mul(x, x), 1)))));
  });

  it('Max as a floor (both sides of it), ReduceL2 with keepdims, ReduceSum with constant axes and without keepdims', async () => {
    const net = new Net([1, 3, 4, 4]);
    // The third channel's norm (about 2) is below its floor: its gradient goes to the constant.
    const floor = net.w([1, 3, 1, 1], Float32Array.of(0.1, 0.1, 100));
    const norm = net.op('Max', [net.op('ReduceL2', ['x'], { axes: [2, 3], keepdims: 1 }), floor]);
    const y = net.op('ReduceSum', [net.op('Div', [net.op('Mul', ['x', 'x']), norm]), net.i64([1])], { keepdims: 0 });
    const r = await run(net, y);
    expect(r.yDims).toEqual([2, 4, 4]);
    await checkFd(r);
  });

  it('MatMul of computed values (batched; a 2-D constant on the left), and a Gram matrix B^T B (tfjs)', async () => {
    const net = new Net([1, 4, 3]);
    const left = net.w([5, 4]);
    const a = net.op('MatMul', [left, 'x']);
    const gram = net.op('MatMul', [net.op('Transpose', [a], { perm: [0, 2, 1] }), a]);
    const cross = net.op('MatMul', [net.op('Transpose', ['x'], { perm: [0, 2, 1] }), net.op('Relu', ['x'])]);
    const r = await run(net, net.op('Add', [gram, cross]));
    await checkFd(r);
    const l = tf.tensor2d(net.constants.get(left)!.data as Float32Array, [5, 4]);
    checkTf(r, (x) => {
      const x3 = x.reshape([2, 4, 3]) as tf.Tensor3D;
      const a3 = tf.matMul(tf.tile(l.expandDims(0), [2, 1, 1]) as tf.Tensor3D, x3);
      return tf.add(tf.matMul(a3, a3, true, false), tf.matMul(x3, tf.relu(x3), true, false));
    });
  });

  it('Cos and Sin of computed values, over several periods (tfjs)', async () => {
    const net = new Net([1, 3, 4, 4]);
    const scale = net.w([3, 1, 1], Float32Array.of(3, -2.5, 4));
    const p = net.op('Mul', ['x', scale]);
    const r = await run(net, net.op('Mul', [net.op('Cos', [p]), net.op('Sin', [net.op('Add', [p, 'x'])])]));
    await checkFd(r);
    const k = tf.tensor3d(Float32Array.of(3, -2.5, 4), [3, 1, 1]);
    checkTf(r, (x) => tf.mul(tf.cos(tf.mul(x, k)), tf.sin(tf.add(tf.mul(x, k), x))));
  });

  it("a standardization per image of the batch (MACO's), composed of ReduceSum, Mul, Sub, ReduceL2, Add and Div (tfjs)", async () => {
    const net = new Net([1, 3, 4, 5]);
    const m = 3 * 4 * 5;
    const scalar = (v: number) => net.w([], Float32Array.of(v));
    const mean = net.op('Mul', [net.op('ReduceSum', ['x', net.i64([1, 2, 3])], { keepdims: 1 }), scalar(1 / m)]);
    const c = net.op('Sub', ['x', mean]);
    const std = net.op('Mul', [net.op('ReduceL2', [c], { axes: [1, 2, 3], keepdims: 1 }), scalar(1 / Math.sqrt(m - 1))]);
    // Shapes for batch 1, run at batch 2: the per-image statistics must not be summed over the batch.
    const r = await run(net, net.op('Div', [c, net.op('Add', [std, scalar(1e-4)])]));
    await checkFd(r);
    checkTf(r, (x) => {
      const centred = tf.sub(x, tf.mean(x, [1, 2, 3], true));
      const sd = tf.sqrt(tf.div(tf.sum(tf.square(centred), [1, 2, 3], true), m - 1));
      return tf.div(centred, tf.add(sd, 1e-4));
    });
  });

  it('Gather of a constant scalar index, negative or not (the real and imaginary halves of a spectrum)', async () => {
    const net = new Net([1, 3, 4]);
    const first = net.op('Gather', ['x', scalar(net, 0)], { axis: 1 });
    const last = net.op('Gather', ['x', scalar(net, -1)], { axis: 1 });
    const r = await run(net, net.op('Mul', [first, last]));
    expect(r.yDims).toEqual([2, 4]);
    await checkFd(r);
    // The middle row gets no gradient.
    for (let b = 0; b < 2; b++) for (let j = 0; j < 4; j++) expect(r.dx[b * 12 + 4 + j]).toBe(0);
  });
});

describe('emitBackward: the graph walk', () => {
  it('skips nodes off the input-target path (an op without a rule on a constant branch, or past the target)', async () => {
    const net = new Net([1, 2, 4, 4]);
    const constBranch = net.op('Sqrt', [net.w([2, 1, 1], Float32Array.of(4, 9))]);
    const y = net.op('Relu', [net.op('Add', ['x', constBranch])]);
    net.op('Tanh', [y]);
    await checkFd(await run(net, y));
  });

  it('picks the cheap form where it applies: a flipped Conv at stride 1, Resize and a mask (no scatter) for tiled max-pools, one product for a Gram matrix', () => {
    /** The ops of the backward pass alone (the forward pass emitted first, then counted out). */
    const backwardOps = (net: Net, target: string) => {
      const ir = net.graph();
      const g = new GraphBuilder();
      const values = emitForward(g, ir, g.input('x', FLOAT, ['N', ...net.dims.slice(1)]), [target]);
      const before = onnxProto.onnx.ModelProto.decode(g.encode([])).graph!.node!.length;
      emitBackward(g, ir, values, inferShapes(ir, net.dims), target, g.input('seed', FLOAT, ['N', 1, 1, 1]));
      return onnxProto.onnx.ModelProto.decode(g.encode([])).graph!.node!.slice(before).map((n) => n.opType);
    };
    const stride1 = new Net([1, 2, 6, 6]);
    expect(backwardOps(stride1, stride1.conv('x', 2, 3, 3, { pads: [1, 1, 1, 1] }))).toEqual(['Conv']);
    const stride2 = new Net([1, 2, 6, 6]);
    expect(backwardOps(stride2, stride2.conv('x', 2, 3, 3, { strides: [2, 2] }))).toEqual(['ConvTranspose']);
    const tiled = new Net([1, 2, 6, 6]);
    const tiledOps = backwardOps(tiled, tiled.op('MaxPool', ['x'], { kernel_shape: [2, 2], strides: [2, 2] }));
    expect(tiledOps).toContain('Resize');
    expect(tiledOps).not.toContain('ScatterElements');
    const gram = new Net([1, 4, 3]);
    const g2 = gram.op('MatMul', [gram.op('Transpose', ['x'], { perm: [0, 2, 1] }), 'x']);
    expect(backwardOps(gram, g2).filter((op) => op === 'MatMul')).toHaveLength(1);
    const overlapping = new Net([1, 2, 7, 7]);
    expect(backwardOps(overlapping, overlapping.op('MaxPool', ['x'], { kernel_shape: [3, 3], strides: [2, 2] }))).toContain('ScatterElements');
  });

  it('names the node and the op it cannot differentiate', async () => {
    const net = new Net([1, 2, 4, 4]);
    const y = net.op('Relu', [net.op('Tanh', ['x'], {}, 'gate')]);
    await expect(run(net, y)).rejects.toThrow(/node 'gate' is a Tanh, an op the differentiator has no backward rule for/);
  });
});

const SQUEEZENET = path.join(SHARED_DIR, 'models', 'squeezenet1.1', 'squeezenet1.1.onnx');
// Through 26 ReLUs and 3 max-pools of a 224 x 224 input, float32 finite differences cross kinks at any
// step size (measured at eps 1e-3: 2-13 % off along random directions, no better at 3e-4 or 1e-4, where
// rounding takes over): they only catch a gross error (a lost branch, a wrong scale), at 20 %; tfjs's
// autodiff of the same graph (its forward checked equal to onnxruntime's first) checks it to 1e-4.
describe.skipIf(!existsSync(SQUEEZENET))(`SqueezeNet 1.1 (skipped when ${SQUEEZENET} is missing)`, () => {
  /** The real model's graph in a Net, for `run`. */
  function squeezenet(): Net {
    const ir = readOnnx(SQUEEZENET);
    const net = new Net([1, 3, 224, 224]);
    net.nodes.push(...ir.nodes.map((n) => ({ ...n, inputs: n.inputs.map((i) => (i === ir.input ? 'x' : i)) })));
    for (const [k, v] of ir.constants) net.constants.set(k, v);
    return net;
  }

  /**
   * The same IR run by tfjs (NCHW values, NHWC only inside convs and pools), an independent reference
   * for the whole model's gradient. Only the ops SqueezeNet uses; its max-pools' ceil_mode changes
   * nothing at the sizes tested (every window fits), so tfjs's 'valid' pools are the same function.
   */
  function tfForward(net: Net, target: string): (x: tf.Tensor4D) => tf.Tensor {
    return (x) => {
      const v = new Map<string, tf.Tensor>([['x', x]]);
      const t4 = (name: string) => v.get(name) as tf.Tensor4D;
      for (const n of net.nodes) {
        const a = n.inputs[0];
        const k = n.attrs.kernel_shape as number[];
        const s = (n.attrs.strides as number[] | undefined)?.[0] ?? 1;
        let out: tf.Tensor;
        if (n.op === 'Conv') {
          const p = (n.attrs.pads as number[])[0];
          const conv = tf.conv2d(nhwc(t4(a)), tfKernel(net, n.inputs[1]) as tf.Tensor4D, s, p ? [[0, 0], [p, p], [p, p], [0, 0]] : 'valid');
          out = nchw(tf.add(conv, bias(net, n.inputs[2])) as tf.Tensor4D);
        } else if (n.op === 'Relu') out = tf.relu(t4(a));
        else if (n.op === 'MaxPool') out = nchw(tf.maxPool(nhwc(t4(a)), k as [number, number], s, 'valid'));
        else if (n.op === 'Concat') out = tf.concat(n.inputs.map(t4), 1);
        else if (n.op === 'Dropout') out = t4(a);
        else if (n.op === 'GlobalAveragePool') out = tf.mean(t4(a), [2, 3], true);
        else if (n.op === 'Flatten') out = t4(a).reshape([t4(a).shape[0], -1]);
        else throw new Error(`tfForward: no ${n.op}`);
        v.set(n.outputs[0], out);
        if (n.outputs[0] === target) return out;
      }
      throw new Error(`tfForward: ${target} not computed`);
    };
  }

  it('gradient of one logit w.r.t. the input matches tfjs and finite differences', async () => {
    const net = squeezenet();
    const oneHot = (dims: number[]) => Float32Array.from({ length: size(dims) }, (_, i) => (i % dims[1] === 281 ? 1 : 0));
    const r = await run(net, 'squeezenet0_flatten0_reshape0', 1, oneHot);
    checkTf(r, tfForward(net, 'squeezenet0_flatten0_reshape0'));
    await checkFd(r, 1e-3, 0.2, 3);
  });

  it('gradient of one channel of a middle fire module (fire4, after the Concat) matches tfjs and finite differences', async () => {
    const net = squeezenet();
    const oneChannel = (dims: number[], rand: () => number) => {
      const plane = dims[2] * dims[3];
      return Float32Array.from({ length: size(dims) }, (_, i) => (Math.floor(i / plane) % dims[1] === 150 ? rand() : 0));
    };
    const r = await run(net, 'squeezenet0_concat3', 1, oneChannel);
    checkTf(r, tfForward(net, 'squeezenet0_concat3'));
    await checkFd(r, 1e-3, 0.2, 3);
  });
});
