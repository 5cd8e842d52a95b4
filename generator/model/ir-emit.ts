// Emits IR nodes into a GraphBuilder, the forward half of every graph built from the IR (a forward
// session's, and the gradient graph's forward pass before the differentiator's backward pass).
import { AtlasError } from '../errors.ts';
import { ancestors, type IrConst, type IrGraph } from './ir.ts';
import type { GraphBuilder } from './onnx-builder.ts';

/** Builder values of IR values: the graph's constants on first use, the emitted nodes' outputs. */
export class ValueMap {
  private readonly names = new Map<string, string>();

  constructor(
    private readonly g: GraphBuilder,
    private readonly ir: IrGraph,
  ) {}

  set(irName: string, value: string): void {
    this.names.set(irName, value);
  }

  has(irName: string): boolean {
    return this.names.has(irName) || this.ir.constants.has(irName);
  }

  get(irName: string): string {
    const v = this.names.get(irName);
    if (v !== undefined) return v;
    const c = this.ir.constants.get(irName);
    if (!c) throw new AtlasError(`graph value '${irName}' is used before it is computed`, 'the ONNX graph is not in topological order, or reads a missing value');
    const name = emitConstant(this.g, constantName(irName), c);
    this.names.set(irName, name);
    return name;
  }
}

/** The ONNX name of an IR constant (a fed one is fed under it). */
export function constantName(irName: string): string {
  return `c_${irName}`;
}

export function emitConstant(g: GraphBuilder, name: string, c: IrConst): string {
  if (c.type === 'int64') return g.int64s(name, c.data, c.dims);
  return c.fed ? g.fedFloats(name, c.dims) : g.floats(name, c.data, c.dims);
}

/**
 * Emits the nodes the `targets` depend on, reading the graph's input from `input` (a builder value,
 * NCHW); returns the map from IR values to builder values. Dropout becomes Identity (inference).
 */
export function emitForward(g: GraphBuilder, ir: IrGraph, input: string, targets: readonly string[]): ValueMap {
  const values = new ValueMap(g, ir);
  values.set(ir.input, input);
  for (const n of ancestors(ir, targets)) {
    const ins = n.inputs.map((i) => (i === '' ? '' : values.get(i)));
    if (n.op === 'Dropout') {
      values.set(n.outputs[0], g.op('Identity', [ins[0]]));
      continue;
    }
    const outs = g.node(n.op, ins, n.attrs, n.outputs.length);
    n.outputs.forEach((o, i) => values.set(o, outs[i]));
  }
  return values;
}
