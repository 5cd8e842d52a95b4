// How the circuit graph's edges are drawn (both renderers: the Cytoscape island and the static <Circuit>
// embed). Inputs sit below what they feed, so most edges go straight up; but in a group's box a straight
// line from a unit in the second row or deeper to the box's unit passes behind the pictures above it and
// reads as if they were wired in a chain. Such an edge leaves its unit's side into the gutter between
// columns, runs up the gutter and along the gap under the target's label, then up into the target. In a
// box the edges share gutters, so they are drawn faint and each picture's frame carries its edge's sign
// and strength.
import type { GraphEdge, Layout, LayoutSizes, Placed } from './graph';

export interface Point {
  x: number;
  y: number;
}
interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const edgeId = (e: Pick<GraphEdge, 'source' | 'target'>) => `${e.source}->${e.target}`;

/** Room under a picture for its label (one size for the root and level 1, one for the grid). */
export function labelRoom(p: Placed, sizes: LayoutSizes): number {
  return p.node.depth >= 2 ? sizes.gridLabel : sizes.label;
}

/** A picture and the label under it: what an edge must not cross. */
function obstacle(p: Placed, sizes: LayoutSizes): Rect {
  return { x0: p.x - p.size / 2, y0: p.y - p.size / 2, x1: p.x + p.size / 2, y1: p.y + p.size / 2 + labelRoom(p, sizes) };
}

/** Whether the segment a-b passes through the inside of r (Liang-Barsky clipping; touching an edge is not crossing). */
export function crossesRect(a: Point, b: Point, r: Rect): boolean {
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  let [t0, t1] = [0, 1];
  for (const [p, q] of [
    [-dx, a.x - r.x0],
    [dx, r.x1 - a.x],
    [-dy, a.y - r.y0],
    [dy, r.y1 - a.y],
  ] as const) {
    if (p === 0) {
      if (q <= 0) return false;
      continue;
    }
    const t = q / p;
    if (p < 0) t0 = Math.max(t0, t);
    else t1 = Math.min(t1, t);
    if (t0 >= t1) return false;
  }
  return true;
}

/**
 * Each edge's path in layout coordinates, from the top of its source to just under its target's label:
 * two points for a straight edge, four or five for one routed through its box's gutter. Edges that cross into
 * another box stay straight (they are shown faint, on demand).
 */
export function routeEdges(layout: Layout, edges: ReadonlyArray<Pick<GraphEdge, 'source' | 'target'>>, sizes: LayoutSizes): Map<string, Point[]> {
  const at = new Map(layout.placed.map((p) => [p.node.id, p]));
  const boxes = new Map(layout.groups.map((g) => [g.id, g]));
  const routes = new Map<string, Point[]>();
  for (const e of edges) {
    const [s, t] = [at.get(e.source), at.get(e.target)];
    if (!s || !t) continue;
    const start = { x: s.x, y: s.y - s.size / 2 };
    const end = { x: t.x, y: t.y + t.size / 2 + labelRoom(t, sizes) };
    const box = s.group !== null && s.group === t.group ? boxes.get(s.group) : undefined;
    const clear = (a: Point, b: Point) => layout.placed.every((p) => p === s || p === t || !crossesRect(a, b, obstacle(p, sizes)));
    if (!box || clear(start, end)) {
      routes.set(edgeId(e), [start, end]);
      continue;
    }
    // The gutter on the side facing the box's middle (the middle column takes its left one).
    const side = s.x < box.x + box.width / 2 - 0.5 ? 1 : -1;
    const gutter = s.x + side * (s.size / 2 + sizes.gridGap / 2);
    // Under the box's unit the band down to the first row is two gaps tall; under a grid unit, one gap.
    const run = end.y + (t.node.depth <= 1 ? sizes.gridGap : sizes.gridGap / 2);
    const bends = [{ x: s.x + (side * s.size) / 2, y: s.y }, { x: gutter, y: s.y }, { x: gutter, y: run }, { x: t.x, y: run }, end];
    // A gutter under the target's centre (two columns) makes one bend twice: keep it once.
    routes.set(edgeId(e), bends.filter((p, i) => i === 0 || p.x !== bends[i - 1]!.x || p.y !== bends[i - 1]!.y));
  }
  return routes;
}

/**
 * A route's inner points as Cytoscape's segment weights and distances with `edge-distances: endpoints`:
 * a point is (1 - w) * first + w * last plus d along the normal (-dy, dx) / length of first -> last.
 */
export function segmentsOf(route: Point[]): { weights: number[]; distances: number[] } {
  const [a, b] = [route[0]!, route[route.length - 1]!];
  const [dx, dy] = [b.x - a.x, b.y - a.y];
  const len2 = dx * dx + dy * dy || 1;
  const inner = route.slice(1, -1);
  return {
    weights: inner.map((p) => ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2),
    distances: inner.map((p) => (-(p.x - a.x) * dy + (p.y - a.y) * dx) / Math.sqrt(len2)),
  };
}

/** The edge a box member's frame shows (the one that placed it in its box), or null outside boxes. */
export function frameOf(p: Placed, layout: Layout): GraphEdge | null {
  return p.node.depth >= 2 && p.group !== null && layout.groups.some((g) => g.id === p.group) ? p.via : null;
}
