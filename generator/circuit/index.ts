// One unit's circuit: its input and output connections, optionally its expanded weights, and the graph
// around it, assembled from the pure pieces of this folder. Given loaded weights this is fast (milliseconds),
// so the CLI and the pipeline can call it per unit.
import type { KerasWeights } from '../model/keras-h5.ts';
import type { ModelSpec } from '../model/spec.ts';
import { type AttributedConnection, rankByAttribution } from './attribution.ts';
import { type ExpandedConnection, type ExpandedWeights, expandedWeights } from './expanded.ts';
import { type CircuitGraph, circuitGraph } from './graph.ts';
import { type Connection, convStep, unitConnections } from './weights.ts';

export interface CircuitOptions {
  /** k of every top-k (default 10; Infinity = all). */
  top?: number;
  /** Graph depth (default 2). */
  depth?: number;
  /** Also compute the expanded weights from L-2 (throws for the first conv). */
  expanded?: boolean;
  /** Mean contribution per input channel (from inputAttribution): rank the inputs by it instead. */
  attribution?: Float64Array;
}

export interface Circuit {
  layer: string;
  unit: number;
  rank: 'weight' | 'attribution';
  /** Where the inputs come from and the outputs go to (null: no conv after this layer in the spec). */
  source: string;
  target: string | null;
  inputs: Connection[] | AttributedConnection[];
  excitatory: Connection[] | AttributedConnection[];
  inhibitory: Connection[] | AttributedConnection[];
  outputs: Connection[];
  /** Why `outputs` is empty, when it is. */
  outputsNote?: string;
  expanded?: ExpandedWeights;
  graph: CircuitGraph;
}

export function unitCircuit(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, layer: string, unit: number, opts: CircuitOptions = {}): Circuit {
  const top = opts.top ?? 10;
  const conns = unitConnections(spec, weights, layer, unit, top);
  // Checked before the graph, so a bad --expanded fails before any other work.
  const expanded = opts.expanded ? expandedWeights(spec, weights, layer, unit, top) : undefined;
  const ranked = opts.attribution
    ? rankByAttribution(convStep(spec, weights, layer), weights.layers.get(layer)!, unit, opts.attribution, top)
    : conns;
  return {
    layer,
    unit,
    rank: opts.attribution ? 'attribution' : 'weight',
    source: conns.source,
    target: conns.target,
    inputs: ranked.inputs,
    excitatory: ranked.excitatory,
    inhibitory: ranked.inhibitory,
    outputs: conns.outputs,
    ...(conns.outputsNote ? { outputsNote: conns.outputsNote } : {}),
    ...(expanded ? { expanded } : {}),
    graph: circuitGraph(spec, weights, layer, unit, { top, depth: opts.depth ?? 2 }),
  };
}

/** The `atlas circuit --json` document (a contract: keys and their order stay). */
export interface CircuitJson {
  layer: string;
  unit: number;
  inputs: Connection[] | AttributedConnection[];
  excitatory: Connection[] | AttributedConnection[];
  inhibitory: Connection[] | AttributedConnection[];
  outputs: Connection[];
  expanded?: ExpandedConnection[];
  graph: CircuitGraph;
}

export function circuitJson(c: Circuit): CircuitJson {
  return {
    layer: c.layer,
    unit: c.unit,
    inputs: c.inputs,
    excitatory: c.excitatory,
    inhibitory: c.inhibitory,
    outputs: c.outputs,
    ...(c.expanded ? { expanded: c.expanded.connections } : {}),
    graph: c.graph,
  };
}
