// A circuit's data as the graph views show it (server side): each node with its label, picture URL,
// page link and column (its layer's position in the model, the image first); each edge as in the data.
// Shared by the circuit page (the Cytoscape island and its no-JS list) and the <Circuit> write-up embed.
import { INPUT_LAYER, model, thumbnailOf, unitUrlIfAny, url, type CircuitJson } from './atlas';
import type { GraphEdge, GraphNode } from './graph';

export function nodeLabel(n: { layer: string; unit: number; label?: unknown }): string {
  return n.layer === INPUT_LAYER ? `input ${typeof n.label === 'string' ? n.label : n.unit}` : `${n.layer} ${n.unit}`;
}

export function circuitView(c: CircuitJson): { nodes: GraphNode[]; edges: GraphEdge[]; root: string } {
  const order = model(c.model).layers.map((l) => l.name);
  const nodes = c.nodes.map((n): GraphNode => {
    const thumb = n.thumbnail ?? thumbnailOf(c.model, n.layer, n.unit);
    return {
      id: n.id,
      layer: n.layer,
      unit: n.unit,
      depth: n.depth,
      minTop: n.minTop,
      label: nodeLabel(n),
      channel: n.layer === INPUT_LAYER && typeof n.label === 'string' ? n.label : null,
      thumb: thumb ? url.asset(thumb.file) : null,
      thumbKind: thumb?.kind ?? null,
      href: n.layer === INPUT_LAYER ? null : unitUrlIfAny(c.model, n.layer, n.unit),
      column: n.layer === INPUT_LAYER ? -1 : order.indexOf(n.layer),
    };
  });
  const edges = c.edges.map((e): GraphEdge => ({ source: e.source, target: e.target, l2: e.l2, sum: e.sum, sign: e.sign, kernel: e.kernel, rank: e.rank }));
  const root = c.nodes.find((n) => n.depth === 0)?.id ?? `${c.layer}:${c.unit}`;
  return { nodes, edges, root };
}
