// What the circuit graph island receives: the page maps the circuit's data to these (labels, links,
// picture URLs), the island only draws and filters. Filtering to fewer
// levels or inputs selects by what the generator recorded (depth, minTop, rank); nothing is re-traversed.
// layoutCircuit places them (pure, shared by the island and the static <Circuit> embed).
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
  /** For a feature visualization: the recipe it was made with (a layer atlas's grid pictures are cheaper). */
  thumbRecipe: 'full' | 'grid' | 'maco' | null;
  /** The unit's page, if it has one. */
  href: string | null;
  /** The colour scale of the kernels into this unit (its largest input |w|, as on its unit page). */
  inputScale: number | null;
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

/** Sizes of the layered layout, in graph pixels. */
export interface LayoutSizes {
  root: number;
  level1: number;
  /** Pictures in the groups (level 2 and deeper). */
  grid: number;
  gridGap: number;
  /** Room under a picture for its label: the root's and level 1's, the grid's (one short line). */
  label: number;
  gridLabel: number;
  /** Between the root, the level-1 row and the groups below it. */
  levelGap: number;
  /** Inside a group's box, around its pictures. */
  pad: number;
  groupGap: number;
  /** The narrowest group box (the level-1 label must fit). */
  minBox: number;
  /** The width the level-1 row aims at; groups get as many grid columns as fit in their share. */
  width: number;
}

/** The interactive graph's sizes: about 1300 px wide, so a 1400 px window fits it at ~0.8x (level 1 >= 64 px). */
export const GRAPH_SIZES: LayoutSizes = { root: 84, level1: 80, grid: 50, gridGap: 8, label: 18, gridLabel: 14, levelGap: 48, pad: 6, groupGap: 10, minBox: 110, width: 1300 };

export interface Placed {
  node: GraphNode;
  /** Centre of the picture (origin: the layout's top-left corner) and its side. */
  x: number;
  y: number;
  size: number;
  /** The level-1 unit whose group holds the node (a level-1 unit is its own group); null for the root and ungrouped nodes. */
  group: string | null;
  /** Its strongest edge into the level above, which placed it (null for the root). */
  via: GraphEdge | null;
}
/** A group's box: a level-1 unit and the deeper units placed with it (top-left corner and size). */
export interface GroupBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Layout {
  placed: Placed[];
  /** Drawn only when the graph is deeper than one level (otherwise every box holds one unit). */
  groups: GroupBox[];
  width: number;
  height: number;
}

/**
 * Layered layout, top-down: the root, then its inputs in a row (strongest first), then under each of
 * them a box with the deeper units it gathers, wrapped into a grid (one level per band of rows,
 * strongest first). A deeper unit feeding several units of the level above is placed with the one it
 * feeds most strongly (largest L2; its other edges cross to other boxes, see crossesGroups). Keeping
 * every level-2 unit in one row or column instead is what made the default circuit ~7,700 px tall.
 */
export function layoutCircuit(nodes: GraphNode[], edges: GraphEdge[], sizes: LayoutSizes = GRAPH_SIZES): Layout {
  const s = sizes;
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const root = nodes.find((n) => n.depth === 0);
  // Each node's strongest edge into the level above (its parent); rank breaks ties, then data order.
  const up = new Map<string, GraphEdge>();
  for (const e of edges) {
    const [src, dst] = [byId.get(e.source), byId.get(e.target)];
    if (!src || !dst || dst.depth !== src.depth - 1) continue;
    const best = up.get(e.source);
    if (!best || e.l2 > best.l2 || (e.l2 === best.l2 && (e.rank < best.rank || (e.rank === best.rank && order.get(e.target)! < order.get(best.target)!)))) up.set(e.source, e);
  }
  const strength = (n: GraphNode) => up.get(n.id)?.l2 ?? -Infinity;
  const byStrength = (a: GraphNode, b: GraphNode) => a.depth - b.depth || strength(b) - strength(a) || order.get(a.id)! - order.get(b.id)!;
  const level1 = nodes.filter((n) => n.depth === 1).sort(byStrength);
  const branchOf = (n: GraphNode): string | null => {
    for (let at: GraphNode | undefined = n; at; at = byId.get(up.get(at.id)?.target ?? '')) if (at.depth === 1) return at.id;
    return null;
  };
  const members = new Map<string, GraphNode[]>(level1.map((n) => [n.id, []]));
  const ungrouped: GraphNode[] = [];
  for (const n of [...nodes].sort(byStrength)) {
    if (n.depth < 2) continue;
    const b = branchOf(n);
    (b ? members.get(b)! : ungrouped).push(n);
  }
  const most = Math.max(1, ...[...members.values()].map((m) => m.length));
  const share = s.width / Math.max(1, level1.length) - s.groupGap - 2 * s.pad;
  // As many columns as fit the group's share of the width, but no more than ~3 rows per column.
  const cols = Math.min(most, Math.max(1, Math.floor((share + s.gridGap) / (s.grid + s.gridGap)), Math.ceil(Math.sqrt(most / 3))));
  const boxW = Math.max(s.minBox, cols * s.grid + (cols - 1) * s.gridGap + 2 * s.pad);
  const pitch = s.grid + s.gridLabel + s.gridGap;
  const deep = ungrouped.length > 0 || [...members.values()].some((m) => m.length > 0);

  const placed: Placed[] = [];
  const rowW = level1.length * boxW + Math.max(0, level1.length - 1) * s.groupGap;
  const width = Math.max(rowW, root ? s.root : 0, s.grid);
  if (root) placed.push({ node: root, x: width / 2, y: s.root / 2, size: s.root, group: null, via: null });
  const y1 = (root ? s.root + s.label + s.levelGap : 0) + s.pad + s.level1 / 2;
  // Twice the grid's gap under the level-1 label: room for the arrows of the box's first row.
  const gridTop = y1 + s.level1 / 2 + s.label + 2 * s.gridGap;
  /** Wraps a list into rows of `n`, starting a new band of rows at each level; returns the bottom edge. */
  const grid = (list: GraphNode[], left: number, n: number, top: number, group: string | null): number => {
    let [row, col, depth, bottom] = [-1, n, -1, top];
    for (const m of list) {
      if (col >= n || m.depth !== depth) [row, col, depth] = [row + 1, 0, m.depth];
      const y = top + row * pitch + s.grid / 2;
      placed.push({ node: m, x: left + col * (s.grid + s.gridGap) + s.grid / 2, y, size: s.grid, group, via: up.get(m.id) ?? null });
      bottom = y + s.grid / 2 + s.gridLabel;
      col += 1;
    }
    return bottom;
  };
  const groups: GroupBox[] = [];
  let bottom = level1.length ? y1 + s.level1 / 2 + s.label + s.pad : root ? s.root + s.label : 0;
  level1.forEach((n, i) => {
    const left = (width - rowW) / 2 + i * (boxW + s.groupGap);
    placed.push({ node: n, x: left + boxW / 2, y: y1, size: s.level1, group: n.id, via: up.get(n.id) ?? null });
    const list = members.get(n.id)!;
    const gridW = Math.min(cols, Math.max(1, list.length)) * (s.grid + s.gridGap) - s.gridGap;
    const end = Math.max(y1 + s.level1 / 2 + s.label, grid(list, left + (boxW - gridW) / 2, cols, gridTop, n.id)) + s.pad;
    groups.push({ id: n.id, x: left, y: y1 - s.level1 / 2 - s.pad, width: boxW, height: end - (y1 - s.level1 / 2 - s.pad) });
    bottom = Math.max(bottom, end);
  });
  if (ungrouped.length) bottom = grid(ungrouped, 0, Math.max(1, Math.floor((width + s.gridGap) / (s.grid + s.gridGap))), bottom + s.levelGap, null);
  return { placed, groups: deep ? groups : [], width, height: bottom };
}

/**
 * Whether an edge runs from a deeper unit into a box other than the one it is placed in (such edges are
 * drawn fainter: they cross the layout). Returns a test for the layout's edges.
 */
export function crossesGroups(layout: Layout): (edge: Pick<GraphEdge, 'source' | 'target'>) => boolean {
  const groupOf = new Map(layout.placed.map((p) => [p.node.id, p.group]));
  return (edge) => {
    const [a, b] = [groupOf.get(edge.source), groupOf.get(edge.target)];
    return a !== undefined && b !== undefined && b !== null && a !== b;
  };
}

/** What the circuit page shows: how many levels and how many inputs per unit (the address keeps them). */
export interface CircuitViewState {
  depth: number;
  top: number;
}

/**
 * The view a page address asks for (`?depth=1&top=5`, so that a finding links to the view it was made
 * in); a value missing or outside 1..the generated maximum leaves that setting at the maximum.
 */
export function viewFromSearch(search: string, max: CircuitViewState): CircuitViewState {
  const q = new URLSearchParams(search);
  const pick = (key: keyof CircuitViewState): number => {
    const raw = q.get(key);
    const v = raw !== null && /^\d+$/.test(raw) ? Number(raw) : NaN;
    return v >= 1 && v <= max[key] ? v : max[key];
  };
  return { depth: pick('depth'), top: pick('top') };
}

/** The circuit page's lede words for a view, the same at build time and when the controls change it. */
export function viewWords(view: CircuitViewState): { inputs: string; levels: string } {
  return { inputs: view.top === 1 ? 'strongest input' : `${view.top} strongest inputs`, levels: view.depth === 1 ? 'level' : 'levels' };
}

/** The address's query for a view: settings at their maximum are left out (the plain address is the whole circuit). */
export function viewSearch(search: string, view: CircuitViewState, max: CircuitViewState): string {
  const q = new URLSearchParams(search);
  for (const key of ['depth', 'top'] as const) {
    if (view[key] === max[key]) q.delete(key);
    else q.set(key, String(view[key]));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The scale an edge's kernel is drawn on: its target's (as on the target's unit page); files written
 * before targets carried one fall back to the circuit's largest |w|.
 */
export function kernelScale(c: { maxAbs: number }, nodes: ReadonlyArray<Pick<GraphNode, 'id' | 'inputScale'>>): (edge: Pick<GraphEdge, 'target'>) => number {
  const scale = new Map(nodes.map((n) => [n.id, n.inputScale]));
  return (edge) => scale.get(edge.target) ?? c.maxAbs;
}
