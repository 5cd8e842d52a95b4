// Small circuit graphs for the layout and route tests: nodes and edges as the page's GraphNode/GraphEdge.
import type { GraphEdge, GraphNode } from '../../../src/lib/graph.ts';

export const node = (id: string, depth: number): GraphNode => {
  const [layer, unit] = id.split(':');
  return { id, layer, unit: Number(unit), depth, minTop: 1, label: `${layer} ${unit}`, channel: null, thumb: null, thumbKind: null, thumbRecipe: null, href: null, inputScale: null };
};
export const edge = (source: string, target: string, l2: number, rank: number): GraphEdge => ({ source, target, l2, sum: l2, sign: 'excitatory', kernel: [[l2]], rank });

/** Root r; level 1: a (weaker), b (stronger); level 2: x feeds a strongly and b weakly, y feeds b only. */
export function small(): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = [node('c:0', 0), node('b:1', 1), node('b:2', 1), node('a:7', 2), node('a:8', 2)];
  const edges = [edge('b:1', 'c:0', 0.2, 2), edge('b:2', 'c:0', 0.5, 1), edge('a:7', 'b:1', 0.9, 1), edge('a:7', 'b:2', 0.1, 2), edge('a:8', 'b:2', 0.4, 1)];
  return { nodes, edges };
}

/** The default atlas's shape: `n1` inputs with `per` inputs each, shared between neighbours if `share`. */
export function wide(n1: number, per: number, share: boolean): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = [node('c:0', 0)];
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < n1; i++) {
    nodes.push(node(`b:${i}`, 1));
    edges.push(edge(`b:${i}`, 'c:0', 1 - i / 100, i + 1));
    for (let k = 0; k < per; k++) {
      const id = `a:${share ? (i * per + k * 3) % Math.ceil(n1 * per * 0.6) : i * per + k}`;
      if (!seen.has(id)) nodes.push(node(id, 2));
      seen.add(id);
      edges.push(edge(id, `b:${i}`, 1 - k / 20, k + 1));
    }
  }
  return { nodes, edges };
}
