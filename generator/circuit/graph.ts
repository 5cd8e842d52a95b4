// The circuit around a unit as a graph: the unit, its top-k inputs by L2 norm, their top-k inputs, ... to
// a given depth. Ranking is by weights only (data-aware ranking needs dataset examples for every unit of
// the graph; see attribution.ts for the root's own inputs).
import type { KerasWeights } from '../model/keras-h5.ts';
import type { ModelSpec } from '../model/spec.ts';
import { type Kernel, INPUT_LAYER, type Sign, checkUnit, convStep, inputMaxAbs, strongestInputs, unitLabel } from './weights.ts';

export interface GraphNode {
  /** `layer:unit`, e.g. block3_conv4:8 (input:0 for the image's B channel). */
  id: string;
  layer: string;
  unit: number;
  /** 'B', 'G' or 'R' for the image's channels. */
  label?: string;
  /** Steps back from the root (the root is 0). */
  depth: number;
  /**
   * The smallest top-k whose graph holds this node (the root: 1): it is reached through inputs ranked
   * <= minTop at every level. A view with fewer inputs per unit selects nodes by it, no traversal.
   */
  minTop: number;
  /**
   * For a unit whose inputs the graph follows: the largest |w| over all its input kernels, the colour
   * scale of its kernels here as on its unit page (so one kernel looks the same on both).
   */
  inputScale?: number;
}

export interface GraphEdge {
  /** The earlier unit (an input of `target`). */
  source: string;
  target: string;
  l2: number;
  sum: number;
  sign: Sign;
  kernel: Kernel;
  /** The source's rank among the target's inputs by L2 norm (1 = the strongest). */
  rank: number;
}

export interface CircuitGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function nodeId(layer: string, unit: number): string {
  return `${layer}:${unit}`;
}

export interface GraphOptions {
  /** Inputs followed per node (default 10). */
  top?: number;
  /** Levels of inputs below the root (default 2; 0 = the root alone). */
  depth?: number;
}

/**
 * Breadth-first from the root. Every node is expanded once, so edges are unique; nodes are shared when
 * two units read the same earlier unit (a unit's layer fixes its depth, so no node is seen at two depths).
 * The graph for depth d' <= depth and top k' <= top is then a selection of this one: the nodes with
 * depth <= d' and minTop <= k', and the edges among them with rank <= k' (select.ts).
 */
export function circuitGraph(spec: ModelSpec, weights: Pick<KerasWeights, 'layers'>, layer: string, unit: number, opts: GraphOptions = {}): CircuitGraph {
  const top = opts.top ?? 10;
  const depth = opts.depth ?? 2;
  checkUnit(convStep(spec, weights, layer), unit);
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const addNode = (l: string, u: number, d: number): GraphNode => {
    const id = nodeId(l, u);
    let n = nodes.get(id);
    if (!n) {
      const label = unitLabel(l, u);
      n = { id, layer: l, unit: u, ...(label ? { label } : {}), depth: d, minTop: d === 0 ? 1 : Infinity };
      nodes.set(id, n);
    }
    return n;
  };
  let frontier = [addNode(layer, unit, 0)];
  for (let d = 1; d <= depth && frontier.length; d++) {
    const next: GraphNode[] = [];
    for (const t of frontier) {
      if (t.layer === INPUT_LAYER) continue; // the image has no inputs
      const step = convStep(spec, weights, t.layer);
      t.inputScale = inputMaxAbs(weights, t.layer, t.unit);
      for (const [i, c] of strongestInputs(step, weights.layers.get(t.layer)!, t.unit, top).entries()) {
        const known = nodes.has(nodeId(c.layer, c.unit));
        const s = addNode(c.layer, c.unit, d);
        if (!known) next.push(s);
        const key = `${s.id}->${t.id}`;
        if (!edges.has(key)) edges.set(key, { source: s.id, target: t.id, l2: c.l2, sum: c.sum, sign: c.sign, kernel: c.kernel, rank: i + 1 });
        // t's minTop is final here (its own inputs came one level earlier), so one pass suffices.
        s.minTop = Math.min(s.minTop, Math.max(t.minTop, i + 1));
      }
    }
    frontier = next;
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** Cytoscape element definitions; assignable to cytoscape's ElementDefinition[] without its `any`s. */
export type CytoscapeElement =
  | { group: 'nodes'; data: GraphNode & { label: string } }
  | { group: 'edges'; data: GraphEdge & { id: string } };

export function toCytoscape(graph: CircuitGraph): CytoscapeElement[] {
  return [
    ...graph.nodes.map((n): CytoscapeElement => ({ group: 'nodes', data: { ...n, label: n.label ?? `${n.layer} ${n.unit}` } })),
    ...graph.edges.map((e): CytoscapeElement => ({ group: 'edges', data: { id: `${e.source}->${e.target}`, ...e } })),
  ];
}
