// Reverse-mode differentiation over the graph IR: the backward pass of any supported model, emitted
// into the same GraphBuilder as its forward pass (one onnxruntime session runs both, nothing leaves it
// in between). The per-op rules are in autodiff-rules.ts; this file walks the graph and sums gradients.
import { AtlasError } from '../errors.ts';
import { ancestors, type IrGraph, type IrNode } from './ir.ts';
import type { ValueMap } from './ir-emit.ts';
import { FLOAT, type GraphBuilder } from './onnx-builder.ts';
import { RULES, type RuleContext } from './autodiff-rules.ts';

/** The nodes on a path from the graph input to `target`, in topological order. */
export function pathNodes(ir: IrGraph, target: string): IrNode[] {
  const reached = new Set([ir.input]);
  const out: IrNode[] = [];
  for (const n of ancestors(ir, [target])) {
    if (!n.inputs.some((i) => reached.has(i))) continue; // reads constants only: no gradient flows through it
    for (const o of n.outputs) reached.add(o);
    out.push(n);
  }
  return out;
}

/**
 * Emits into `g` the backward pass of `ir` from `target` (an IR value) to the graph input, given the
 * forward values already emitted (`values`, from emitForward), static shapes for the session's input
 * size (`shapes`, from inferShapes; the batch dim may be any number, rules must not bake the batch
 * in: use -1/0 in Reshape shapes or shape-independent ops), and `seed`, a builder value holding
 * d(objective)/d(target) in the target's NCHW shape. Returns the builder value of d(objective)/d(input).
 */
export function emitBackward(g: GraphBuilder, ir: IrGraph, values: ValueMap, shapes: Map<string, number[]>, target: string, seed: string): string {
  const nodes = pathNodes(ir, target);
  const dependent = new Set([ir.input, ...nodes.flatMap((n) => n.outputs)]);
  if (!dependent.has(target)) throw new AtlasError(`graph value '${target}' does not depend on the input '${ir.input}'`, 'pick a value the network computes from the image');
  let counter = 0;
  const produced = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const ctx: RuleContext = {
    g,
    ir,
    values,
    shape(v) {
      const s = shapes.get(v);
      if (!s) throw new AtlasError(`graph value '${v}' has no static shape`, 'pass the shapes inferShapes gives for this graph');
      return s;
    },
    constant(n, v, what) {
      const c = ir.constants.get(v);
      if (c?.type !== 'float') throw new AtlasError(`node '${n.name}' (${n.op}): its ${what} '${v}' must be a float constant to differentiate it`);
      return c;
    },
    // Node names may repeat across imported graphs' sanitizing; the counter keeps constants apart.
    name: (n, what) => `ad${counter++}_${n.name}_${what}`,
    zero: g.floats('ad_zero', Float32Array.of(0), []),
    // A product with the condition as 0/1, not Where: onnxruntime's Where makes three passes on one
    // thread (two selections into temporaries, then a merge), Cast and Mul one each on the pool (as ReLU
    // masks: 41 -> 13 ms of a 250 ms block3_conv4 gradient run, 140 px, batch 4). NCHW masks no longer
    // need it: autodiff-rules.ts builds them from ops onnxruntime keeps in its NCHWc layout.
    gate: (cond, v) => g.op('Mul', [v, g.op('Cast', [cond], { to: FLOAT })]),
    producer: (v) => produced.get(v),
    consumers: (v) => nodes.reduce((k, n) => k + n.inputs.filter((i) => i === v).length, 0) + (v === target ? 1 : 0),
    masked: new Set(),
  };
  const grads = new Map<string, string>([[target, seed]]);
  for (const n of [...nodes].reverse()) {
    // Only the first output carries a gradient (Dropout's mask, MaxPool's indices do not).
    const dy = grads.get(n.outputs[0]);
    if (dy === undefined) continue;
    const rule = RULES[n.op];
    if (!rule) {
      throw new AtlasError(
        `node '${n.name}' is a ${n.op}, an op the differentiator has no backward rule for`,
        `differentiable ops: ${Object.keys(RULES).join(', ')}`,
      );
    }
    const needs = n.inputs.map((i) => i !== '' && dependent.has(i));
    rule(ctx, n, dy, needs).forEach((dx, k) => {
      if (dx === null || !needs[k]) return;
      const v = n.inputs[k];
      const prev = grads.get(v);
      // A value read by several nodes (or twice by one) gets the sum of their gradients.
      grads.set(v, prev === undefined ? dx : g.op('Add', [prev, dx]));
    });
  }
  const dx = grads.get(ir.input);
  if (dx === undefined) throw new AtlasError(`no gradient reached the input '${ir.input}' from '${target}'`);
  return dx;
}
