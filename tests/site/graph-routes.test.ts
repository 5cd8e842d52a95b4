// Where the circuit graph's edges run (src/lib/graph-routes.ts): no edge of a box passes behind another
// unit's picture or label (a straight line from the second row up read as a chain through the first), and
// Cytoscape's segment weights/distances give back the route's points.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CircuitJson } from '../../generator/pipeline/schema.ts';
import { crossesGroups, GRAPH_SIZES, layoutCircuit, visibleSubgraph, type GraphEdge, type GraphNode, type LayoutSizes } from '../../src/lib/graph.ts';
import { crossesRect, labelRoom, routeEdges, segmentsOf, type Point } from '../../src/lib/graph-routes.ts';
import { edge, node, small, wide } from './helpers/circuit-graphs.ts';

/** The embed's sizes (src/components/mdx/Circuit.astro). */
const EMBED: LayoutSizes = { root: 64, level1: 56, grid: 32, gridGap: 6, label: 30, gridLabel: 14, levelGap: 32, pad: 5, groupGap: 6, minBox: 80, width: 880 };

/** The edges within a box whose route passes through a picture or label other than its own ends. */
function blocked(nodes: GraphNode[], edges: GraphEdge[], sizes: LayoutSizes, straight = false): string[] {
  const l = layoutCircuit(nodes, edges, sizes);
  const routes = routeEdges(l, edges, sizes);
  const crosses = crossesGroups(l);
  const out: string[] = [];
  for (const e of edges) {
    if (crosses(e)) continue;
    const route = routes.get(`${e.source}->${e.target}`)!;
    const s = l.placed.find((p) => p.node.id === e.source)!;
    const r = straight ? [{ x: s.x, y: s.y - s.size / 2 }, route[route.length - 1]!] : route;
    for (const p of l.placed) {
      if (p.node.id === e.source || p.node.id === e.target) continue;
      const box = { x0: p.x - p.size / 2, y0: p.y - p.size / 2, x1: p.x + p.size / 2, y1: p.y + p.size / 2 + labelRoom(p, sizes) };
      if (r.slice(1).some((b, i) => crossesRect(r[i]!, b, box))) out.push(`${e.source}->${e.target} through ${p.node.id}`);
    }
  }
  return out;
}

describe('crossesRect', () => {
  const r = { x0: 0, y0: 0, x1: 10, y1: 10 };
  it('tells a segment through a box from one beside it or touching it', () => {
    expect(crossesRect({ x: -5, y: 5 }, { x: 15, y: 5 }, r)).toBe(true);
    expect(crossesRect({ x: 5, y: 20 }, { x: 5, y: 9 }, r)).toBe(true);
    expect(crossesRect({ x: -5, y: 5 }, { x: -1, y: 5 }, r)).toBe(false);
    expect(crossesRect({ x: 10, y: -5 }, { x: 10, y: 15 }, r)).toBe(false); // along its side
    expect(crossesRect({ x: -5, y: 20 }, { x: 20, y: 12 }, r)).toBe(false);
  });
});

describe('routeEdges', () => {
  it('keeps edges that pass no picture straight, from the top of the input to under its target’s label', () => {
    const { nodes, edges } = small();
    const l = layoutCircuit(nodes, edges);
    const routes = routeEdges(l, edges, GRAPH_SIZES);
    const r = routes.get('b:2->c:0')!;
    const [b, c] = [l.placed.find((p) => p.node.id === 'b:2')!, l.placed.find((p) => p.node.id === 'c:0')!];
    expect(r).toEqual([
      { x: b.x, y: b.y - b.size / 2 },
      { x: c.x, y: c.y + c.size / 2 + GRAPH_SIZES.label },
    ]);
    expect([...routes.values()].every((p) => p.length === 2)).toBe(true);
  });

  it('routes the default circuit’s deeper rows round the pictures above them, in the window and the embed', () => {
    const { nodes, edges } = wide(10, 10, true);
    for (const sizes of [GRAPH_SIZES, EMBED]) {
      // Straight, the second row's edges would pass behind the first row's pictures: what routes are for.
      expect(blocked(nodes, edges, sizes, true).length).toBeGreaterThan(10);
      expect(blocked(nodes, edges, sizes)).toEqual([]);
    }
  });

  it('finds a way at other widths: fewer inputs (more columns, an odd number of them) and a third level', () => {
    for (const top of [3, 5, 7]) {
      const v = visibleSubgraph(...(Object.values(wide(top, 9, false)) as [GraphNode[], GraphEdge[]]), 2, 9);
      expect(blocked(v.nodes, v.edges, GRAPH_SIZES)).toEqual([]);
      expect(blocked(v.nodes, v.edges, EMBED)).toEqual([]);
    }
    const { nodes, edges } = wide(4, 6, false);
    const deep = [...nodes, ...[0, 1, 2, 3, 4].map((i) => node(`z:${i}`, 3))];
    const deepEdges = [...edges, ...[0, 1, 2, 3, 4].map((i) => edge(`z:${i}`, `a:${i}`, 0.5, 1))];
    expect(blocked(deep, deepEdges, GRAPH_SIZES)).toEqual([]);
  });

  it('routes the generated circuits clear of every other picture', () => {
    const dir = path.join(inject('generatedDir'), 'circuits');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
      const c = CircuitJson.parse(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
      const nodes = c.nodes.map((n) => ({ ...node(n.id, n.depth), layer: n.layer, unit: n.unit, minTop: n.minTop }));
      expect(blocked(nodes, c.edges, GRAPH_SIZES), f).toEqual([]);
      expect(blocked(nodes, c.edges, EMBED), f).toEqual([]);
    }
  });
});

describe('segmentsOf', () => {
  it('gives the weights and distances from which Cytoscape rebuilds the route’s bends', () => {
    const route: Point[] = [{ x: 10, y: 100 }, { x: 40, y: 100 }, { x: 40, y: 20 }, { x: 0, y: 20 }, { x: 0, y: 0 }];
    const { weights, distances } = segmentsOf(route);
    const [a, b] = [route[0]!, route[4]!];
    const [dx, dy] = [b.x - a.x, b.y - a.y];
    const len = Math.hypot(dx, dy);
    // cytoscape's findSegmentsPoints with edge-distances: endpoints
    const rebuilt = weights.map((w, i) => ({ x: a.x * (1 - w) + b.x * w + (-dy / len) * distances[i]!, y: a.y * (1 - w) + b.y * w + (dx / len) * distances[i]! }));
    rebuilt.forEach((p, i) => {
      expect(p.x).toBeCloseTo(route[i + 1]!.x, 9);
      expect(p.y).toBeCloseTo(route[i + 1]!.y, 9);
    });
  });
});
