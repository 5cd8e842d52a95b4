// Backward rules of the arithmetic ops: elementwise (with ONNX broadcasting), matrix products,
// reductions and constant-index gathers. The network graphs use few of them (Add, a dense layer's
// MatMul); feature visualization's image sides (an inverse DFT as matrix products, a sigmoid; MACO's
// cos/sin of the phase and standardizations) and its diversity penalty (Gram matrices, norms) are made
// of them, so one differentiator derives those too.
import { AtlasError } from '../errors.ts';
import { attrInt, attrInts, type IrNode, reduceAxes } from './ir.ts';
import type { Rule, RuleContext } from './autodiff-rules.ts';

/** dy summed over the axes along which `input` was broadcast to `output`, in `input`'s shape. */
export function unbroadcast(c: RuleContext, n: IrNode, dy: string, input: number[], output: number[], k: number): string {
  if (input.length === output.length && input.every((d, i) => d === output[i])) return dy;
  const lead = output.length - input.length;
  const axes = output.map((d, i) => i).filter((i) => i < lead || (input[i - lead] === 1 && output[i] !== 1));
  const summed = axes.length ? c.g.op('ReduceSum', [dy, c.g.ints(c.name(n, `axes${k}`), axes)], { keepdims: 1 }) : dy;
  return lead === 0 ? summed : c.g.op('Reshape', [summed, c.g.ints(c.name(n, `shape${k}`), input)]);
}

/** Each needed input's gradient `of(k)`, summed back to the input's shape. */
function binary(c: RuleContext, n: IrNode, needs: readonly boolean[], of: (k: number) => string): Array<string | null> {
  const out = c.shape(n.outputs[0]);
  return n.inputs.map((i, k) => (needs[k] ? unbroadcast(c, n, of(k), c.shape(i), out, k) : null));
}

const add: Rule = (c, n, dy, needs) => binary(c, n, needs, () => dy);

const sub: Rule = (c, n, dy, needs) => binary(c, n, needs, (k) => (k === 0 ? dy : c.g.op('Neg', [dy])));

const mul: Rule = (c, n, dy, needs) => binary(c, n, needs, (k) => c.g.op('Mul', [dy, c.values.get(n.inputs[1 - k])]));

// y = a / b: da = dy / b, db = -dy · y / b.
const div: Rule = (c, n, dy, needs) => {
  const b = c.values.get(n.inputs[1]);
  return binary(c, n, needs, (k) => (k === 0 ? c.g.op('Div', [dy, b]) : c.g.op('Neg', [c.g.op('Div', [c.g.op('Mul', [dy, c.values.get(n.outputs[0])]), b])])));
};

// Two inputs (a clamp, as a norm's floor): the larger takes the gradient, a tie goes to the first.
const max: Rule = (c, n, dy, needs) => {
  if (n.inputs.length !== 2) throw new AtlasError(`node '${n.name}' (Max): only two inputs are differentiated`);
  const less = c.g.op('Less', [c.values.get(n.inputs[0]), c.values.get(n.inputs[1])]);
  return binary(c, n, needs, (k) => c.gate(k === 0 ? c.g.op('Not', [less]) : less, dy));
};

const neg: Rule = (c, _n, dy) => [c.g.op('Neg', [dy])];

// cos' = -sin and sin' = cos, from the input (MACO's phase -> spectrum: a few thousand elements, so
// recomputing the other function is cheaper than threading it through from the forward pass).
const cos: Rule = (c, n, dy) => [c.g.op('Neg', [c.g.op('Mul', [dy, c.g.op('Sin', [c.values.get(n.inputs[0])])])])];

const sin: Rule = (c, n, dy) => [c.g.op('Mul', [dy, c.g.op('Cos', [c.values.get(n.inputs[0])])])];

// The derivative from the forward output, s' = s (1 - s): nothing is recomputed.
const sigmoid: Rule = (c, n, dy) => {
  const y = c.values.get(n.outputs[0]);
  return [c.g.op('Mul', [dy, c.g.op('Mul', [y, c.g.op('Sub', [c.g.floats('ad_one', Float32Array.of(1), []), y])])])];
};

/** The permutation swapping the last two axes. */
const swapLast = (rank: number) => Array.from({ length: rank }, (_, i) => (i === rank - 2 ? rank - 1 : i === rank - 1 ? rank - 2 : i));

const matMul: Rule = (c, n, dy, needs) => {
  const [a, b, out] = [c.shape(n.inputs[0]), c.shape(n.inputs[1]), c.shape(n.outputs[0])];
  if (a.length < 2 || b.length < 2) throw new AtlasError(`node '${n.name}' (MatMul): 1-D operands are not differentiated`);
  const t = (v: string, rank: number) => c.g.op('Transpose', [v], { perm: swapLast(rank) });
  // A Gram matrix B^T B whose transpose nothing else reads: dB = B (dY + dY^T), one product, not two.
  const from = c.producer(n.inputs[0]);
  const gram = from?.op === 'Transpose' && from.inputs[0] === n.inputs[1] && attrInts(from, 'perm', []).join() === swapLast(b.length).join() && c.consumers(n.inputs[0]) === 1;
  if (gram && needs[1]) return [null, c.g.op('MatMul', [c.values.get(n.inputs[1]), c.g.op('Add', [dy, t(dy, out.length)])])];
  // dA = dY B^T, dB = A^T dY, each summed over the batch axes its operand was broadcast along.
  const da = needs[0] ? unbroadcast(c, n, c.g.op('MatMul', [dy, t(c.values.get(n.inputs[1]), b.length)]), a, [...out.slice(0, -2), ...a.slice(-2)], 0) : null;
  const db = needs[1] ? unbroadcast(c, n, c.g.op('MatMul', [t(c.values.get(n.inputs[0]), a.length), dy]), b, [...out.slice(0, -2), ...b.slice(-2)], 1) : null;
  return [da, db];
};

/** dy with the reduced axes back (size 1), whatever keepdims was. */
function kept(c: RuleContext, n: IrNode, dy: string, axes: number[]): string {
  return attrInt(n, 'keepdims', 1) ? dy : c.g.op('Unsqueeze', [dy, c.g.ints(c.name(n, 'axes'), axes)]);
}

const reduceSum: Rule = (c, n, dy) => {
  const x = c.shape(n.inputs[0]);
  const axes = reduceAxes(n, x.length, c.ir);
  return [c.g.op('Expand', [kept(c, n, dy, axes), c.g.op('Shape', [c.values.get(n.inputs[0])])]), null];
};

// y = |x|_2 over the axes: dx = dy · x / y, and 0 where y = 0 (x is 0 there too; no 0/0).
const reduceL2: Rule = (c, n, dy) => {
  const x = c.shape(n.inputs[0]);
  const axes = reduceAxes(n, x.length, c.ir);
  const y = kept(c, n, c.values.get(n.outputs[0]), axes);
  const safe = c.g.op('Where', [c.g.op('Greater', [y, c.zero]), y, c.g.floats('ad_one', Float32Array.of(1), [])]);
  return [c.g.op('Mul', [kept(c, n, dy, axes), c.g.op('Div', [c.values.get(n.inputs[0]), safe])]), null];
};

// A constant scalar index along one axis (a slice that drops the axis): dy goes back into its place,
// zeros around it.
const gather: Rule = (c, n, dy) => {
  const x = c.shape(n.inputs[0]);
  const idx = c.ir.constants.get(n.inputs[1]);
  if (idx?.type !== 'int64' || idx.dims.length !== 0) throw new AtlasError(`node '${n.name}' (Gather): only a constant scalar index is differentiated`);
  const axis = (attrInt(n, 'axis', 0) + x.length) % x.length;
  const i = (Number(idx.data[0]) + x[axis]) % x[axis];
  const pads = new Array<number>(2 * x.length).fill(0);
  [pads[axis], pads[x.length + axis]] = [i, x[axis] - 1 - i];
  const unsqueezed = c.g.op('Unsqueeze', [dy, c.g.ints(c.name(n, 'axis'), [axis])]);
  return [c.g.op('Pad', [unsqueezed, c.g.ints(c.name(n, 'pads'), pads)]), null];
};

export const MATH_RULES: Readonly<Record<string, Rule>> = {
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Max: max,
  Neg: neg,
  Cos: cos,
  Sin: sin,
  Sigmoid: sigmoid,
  MatMul: matMul,
  ReduceSum: reduceSum,
  ReduceL2: reduceL2,
  Gather: gather,
};
