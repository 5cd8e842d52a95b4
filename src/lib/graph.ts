// What the circuit graph island receives: the page maps the circuit's data to these (links, picture URLs,
// column = the layer's position in the model), the island only draws and filters. Filtering to fewer
// levels or inputs selects by what the generator recorded (depth, minTop, rank); nothing is re-traversed.
import { selectSubgraph } from '../../generator/circuit/select.ts';

export interface GraphNode {
  id: string;
  layer: string;
  unit: number;
  depth: number;
  /** The smallest top-k whose graph holds the node (as generated). */
  minTop: number;
  label: string;
  /** For the image's channels: 'B', 'G' or 'R'. */
  channel: string | null;
  /** URL of the node's picture, if any. */
  thumb: string | null;
  thumbKind: 'fv' | 'example' | 'input' | null;
  /** The unit's page, if it has one. */
  href: string | null;
  /** The layer's position in the model (left to right). */
  column: number;
}
export interface GraphEdge {
  source: string;
  target: string;
  l2: number;
  sum: number;
  sign: 'excitatory' | 'inhibitory';
  kernel: number[][];
  /** The source's rank among the target's inputs (1 = strongest), as generated. */
  rank: number;
}

/**
 * The part of a circuit within `depth` levels of the root that follows each node's `top` strongest
 * inputs, as the generator would have written it with those settings. Both the interactive graph and the
 * static <Circuit> embed show this.
 */
export function visibleSubgraph(nodes: GraphNode[], edges: GraphEdge[], depth: number, top: number): { nodes: GraphNode[]; edges: GraphEdge[] } {
  return selectSubgraph({ nodes, edges }, depth, top);
}

export interface Placed {
  node: GraphNode;
  /** Column index (0 = leftmost shown layer) and row within the column, centred on 0. */
  col: number;
  row: number;
}

/** Preset layout: shown layers left to right in model order, each layer's units stacked in data order. */
export function placeNodes(nodes: GraphNode[]): { placed: Placed[]; columns: number; rows: number } {
  const columns = [...new Set(nodes.map((n) => n.column))].sort((a, b) => a - b);
  const stacks = new Map<number, GraphNode[]>();
  for (const n of nodes) stacks.set(n.column, [...(stacks.get(n.column) ?? []), n]);
  const placed: Placed[] = [];
  let rows = 0;
  for (const [column, list] of stacks) {
    rows = Math.max(rows, list.length);
    list.forEach((node, i) => placed.push({ node, col: columns.indexOf(column), row: i - (list.length - 1) / 2 }));
  }
  return { placed, columns: columns.length, rows };
}
