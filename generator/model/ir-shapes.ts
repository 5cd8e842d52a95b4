// Static shapes and receptive fields of every value of an IR graph, for a given input size; pure. The
// one place an imported model's shapes come from (the spec, the engines' gradient seeds, the
// differentiator's transposed convs and pool adjoints). Rules follow ONNX's (and onnxruntime's) operator docs.
import { AtlasError } from '../errors.ts';
import { attrInt, attrInts, attrString, type IrGraph, type IrNode, reduceAxes } from './ir.ts';

/** Spatial geometry of a Conv / MaxPool / AveragePool node along both axes. */
export interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right], resolved for auto_pad at this input size. */
  pads: [number, number, number, number];
  ceil: boolean;
}

export function windowOf(n: IrNode, inputHW: readonly number[], kernel?: number[]): Window {
  const k = (kernel ?? attrInts(n, 'kernel_shape', [])) as [number, number];
  if (k.length !== 2) throw new AtlasError(`node '${n.name}' (${n.op}): only 2-D windows are supported, kernel_shape is [${k}]`);
  const strides = attrInts(n, 'strides', [1, 1]) as [number, number];
  const dilations = attrInts(n, 'dilations', [1, 1]) as [number, number];
  let pads = attrInts(n, 'pads', [0, 0, 0, 0]) as [number, number, number, number];
  const auto = attrString(n, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const total = [0, 1].map((a) => Math.max(0, (Math.ceil(inputHW[a] / strides[a]) - 1) * strides[a] + (k[a] - 1) * dilations[a] + 1 - inputHW[a]));
    const small = total.map((t) => Math.floor(t / 2));
    const big = total.map((t, a) => t - small[a]);
    pads = auto === 'SAME_UPPER' ? [small[0], small[1], big[0], big[1]] : [big[0], big[1], small[0], small[1]];
  } else if (auto === 'VALID') pads = [0, 0, 0, 0];
  return { kernel: k, strides, dilations, pads, ceil: attrInt(n, 'ceil_mode', 0) === 1 };
}

/** Output side along axis a (0 = height, 1 = width); ceil mode drops a last window that starts in the end padding, as onnxruntime does. */
export function windowOutput(w: Window, input: number, a: 0 | 1): number {
  const span = input + w.pads[a] + w.pads[a + 2] - (w.kernel[a] - 1) * w.dilations[a] - 1;
  if (!w.ceil) return Math.floor(span / w.strides[a]) + 1;
  let out = Math.ceil(span / w.strides[a]) + 1;
  if ((out - 1) * w.strides[a] >= input + w.pads[a]) out--;
  return out;
}

/** ONNX (numpy) broadcasting of two shapes. */
function broadcast(n: IrNode, a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const [da, db] = [a[i - rank + a.length] ?? 1, b[i - rank + b.length] ?? 1];
    if (da !== db && da !== 1 && db !== 1) throw new AtlasError(`node '${n.name}' (${n.op}): shapes [${a}] and [${b}] do not broadcast`);
    return da === 1 ? db : da;
  });
}

function nodeShapes(n: IrNode, ins: number[][], g: IrGraph): number[][] {
  const x = ins[0];
  switch (n.op) {
    case 'Relu':
    case 'Dropout':
    case 'Identity':
    case 'BatchNormalization':
    case 'Softmax':
    case 'Sigmoid':
    case 'Neg':
    case 'Cos':
    case 'Sin':
      return [x];
    case 'Conv':
    case 'MaxPool':
    case 'AveragePool': {
      const w = windowOf(n, x.slice(2), n.op === 'Conv' ? ins[1].slice(2) : undefined);
      const c = n.op === 'Conv' ? ins[1][0] : x[1];
      return [[x[0], c, windowOutput(w, x[2], 0), windowOutput(w, x[3], 1)]];
    }
    case 'GlobalAveragePool':
      return [[x[0], x[1], 1, 1]];
    case 'Concat': {
      const axis = (attrInt(n, 'axis', 1) + x.length) % x.length;
      const out = [...x];
      out[axis] = ins.reduce((s, t) => s + t[axis], 0);
      return [out];
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Max':
      return [ins.reduce((a, b) => broadcast(n, a, b))];
    case 'Flatten': {
      const axis = (attrInt(n, 'axis', 1) + x.length) % x.length;
      const p = (d: number[]) => d.reduce((a, b) => a * b, 1);
      return [[p(x.slice(0, axis)), p(x.slice(axis))]];
    }
    case 'Reshape': {
      const c = g.constants.get(n.inputs[1]);
      if (c?.type !== 'int64') throw new AtlasError(`node '${n.name}' (Reshape): its shape must be a constant`, 're-export the model with constant folding on');
      const target = Array.from(c.data, Number).map((d, i) => (d === 0 ? x[i] : d));
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const total = x.reduce((a, b) => a * b, 1);
      return [target.map((d) => (d === -1 ? total / known : d))];
    }
    case 'Gemm': {
      const [m] = attrInt(n, 'transA', 0) ? [x[1]] : [x[0]];
      const b = ins[1];
      return [[m, attrInt(n, 'transB', 0) ? b[0] : b[1]]];
    }
    case 'Transpose': {
      const perm = attrInts(n, 'perm', x.map((_, i) => x.length - 1 - i));
      return [perm.map((p) => x[p])];
    }
    case 'MatMul': {
      const b = ins[1];
      if (x.length < 2 || b.length < 2) throw new AtlasError(`node '${n.name}' (MatMul): 1-D operands are not supported`);
      return [[...broadcast(n, x.slice(0, -2), b.slice(0, -2)), x[x.length - 2], b[b.length - 1]]];
    }
    case 'Gather': {
      const axis = (attrInt(n, 'axis', 0) + x.length) % x.length;
      return [[...x.slice(0, axis), ...ins[1], ...x.slice(axis + 1)]];
    }
    case 'ReduceSum':
    case 'ReduceL2': {
      const axes = reduceAxes(n, x.length, g);
      const keep = attrInt(n, 'keepdims', 1) === 1;
      return [x.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]))];
    }
    default:
      throw new AtlasError(`node '${n.name}': no shape rule for ${n.op}`);
  }
}

/** Shape of every value (constants included) for an input of `inputDims` (NCHW, batch included). */
export function inferShapes(g: IrGraph, inputDims: readonly number[]): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [name, c] of g.constants) shapes.set(name, c.dims);
  shapes.set(g.input, [...inputDims]);
  for (const n of g.nodes) {
    const ins = n.inputs.filter((i) => i !== '').map((i) => {
      const s = shapes.get(i);
      if (!s) throw new AtlasError(`node '${n.name}' (${n.op}) reads '${i}', which no earlier node computes`);
      return s;
    });
    nodeShapes(n, ins, g).forEach((s, i) => shapes.set(n.outputs[i], s));
  }
  return shapes;
}

export interface IrReceptiveField {
  /** Side in input pixels. */
  size: number;
  /** Input pixels between neighbouring units. */
  stride: number;
  /** Input coordinate of the centre of unit (0,0)'s field (pixel centres at i + 0.5). */
  offset: number;
}

/**
 * Receptive field of every spatial value (square windows: the height axis), by the standard recurrence
 * r += (k-1)·d·j, offset += ((k-1)·d/2 - pad)·j, j *= s; a merge (Concat, Add) takes its widest input.
 * Values after a global pool or a flatten have none (every input pixel reaches them).
 */
export function irReceptiveFields(g: IrGraph): Map<string, IrReceptiveField> {
  const rf = new Map<string, IrReceptiveField>([[g.input, { size: 1, stride: 1, offset: 0.5 }]]);
  for (const n of g.nodes) {
    const ins = n.inputs.map((i) => rf.get(i)).filter((r): r is IrReceptiveField => !!r);
    if (ins.length === 0) continue;
    let out: IrReceptiveField | null = null;
    if (n.op === 'Conv' || n.op === 'MaxPool' || n.op === 'AveragePool') {
      const k = n.op === 'Conv' ? (g.constants.get(n.inputs[1])?.dims.slice(2) ?? attrInts(n, 'kernel_shape', [1, 1])) : attrInts(n, 'kernel_shape', [1, 1]);
      const w = windowOf(n, [0, 0], k);
      const r = ins[0];
      const span = (w.kernel[0] - 1) * w.dilations[0];
      out = { size: r.size + span * r.stride, stride: r.stride * w.strides[0], offset: r.offset + (span / 2 - w.pads[0]) * r.stride };
    } else if (['Relu', 'Dropout', 'Identity', 'BatchNormalization', 'Sigmoid', 'Neg'].includes(n.op)) out = ins[0];
    else if (['Concat', 'Add', 'Sub', 'Mul', 'Div', 'Max'].includes(n.op)) out = ins.reduce((a, b) => (b.size > a.size ? b : a));
    if (out) for (const o of n.outputs) rf.set(o, out);
  }
  return rf;
}
