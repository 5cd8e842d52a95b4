// A circuit's data as the graph views show it (server side): each node with its label, picture URL and
// page link; each edge as in the data. (Placement is by depth: layoutCircuit in graph.ts.)
// Shared by the circuit page (the Cytoscape island and its no-JS list) and the <Circuit> write-up embed.
import { INPUT_LAYER, thumbnailOf, unitUrlIfAny, url, type CircuitJson } from './atlas';
import type { GraphEdge, GraphNode } from './graph';
import { recipeOf } from './recipes';

export function nodeLabel(n: { layer: string; unit: number; label?: unknown }): string {
  return n.layer === INPUT_LAYER ? `input ${typeof n.label === 'string' ? n.label : n.unit}` : `${n.layer} ${n.unit}`;
}

export function circuitView(c: CircuitJson): { nodes: GraphNode[]; edges: GraphEdge[]; root: string } {
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
      thumbRecipe: recipeOf(thumb),
      href: n.layer === INPUT_LAYER ? null : unitUrlIfAny(c.model, n.layer, n.unit),
      inputScale: n.inputScale ?? null,
    };
  });
  const edges = c.edges.map((e): GraphEdge => ({ source: e.source, target: e.target, l2: e.l2, sum: e.sum, sign: e.sign, kernel: e.kernel, rank: e.rank }));
  const root = c.nodes.find((n) => n.depth === 0)?.id ?? `${c.layer}:${c.unit}`;
  return { nodes, edges, root };
}
