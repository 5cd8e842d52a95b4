// Smaller views of a generated circuit graph. The generator records each node's depth and minTop and each
// edge's rank (graph.ts), so the graph a smaller depth or top-k would have given is a selection, not a
// new traversal; the site (src/lib/graph.ts) shows exactly this. No runtime imports: it ships to the browser.
import type { GraphEdge, GraphNode } from './graph.ts';

/** Nodes with depth <= `depth` and minTop <= `top`, and the edges among them with rank <= `top`. */
export function selectSubgraph<N extends Pick<GraphNode, 'id' | 'depth' | 'minTop'>, E extends Pick<GraphEdge, 'source' | 'target' | 'rank'>>(
  graph: { nodes: N[]; edges: E[] },
  depth: number,
  top: number,
): { nodes: N[]; edges: E[] } {
  const nodes = graph.nodes.filter((n) => n.depth <= depth && n.minTop <= top);
  const kept = new Set(nodes.map((n) => n.id));
  return { nodes, edges: graph.edges.filter((e) => e.rank <= top && kept.has(e.source) && kept.has(e.target)) };
}
