// The circuit graph's layered layout (src/lib/graph.ts): the root on top, level 1 in a row by strength,
// deeper units boxed under the level-1 unit they feed most strongly, nothing overlapping, and the default
// circuit's shape (10 inputs of 10 inputs) fitting a 1400 px window with level-1 pictures >= 64 px.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { CircuitJson } from '../../generator/pipeline/schema.ts';
import { crossesGroups, GRAPH_SIZES, kernelScale, layoutCircuit, viewFromSearch, viewSearch, visibleSubgraph, type Layout } from '../../src/lib/graph.ts';
import { edge, node, small, wide } from './helpers/circuit-graphs.ts';

const at = (l: Layout, id: string) => l.placed.find((p) => p.node.id === id)!;

/** Every picture with the room under it for its label, as a box. */
function overlaps(l: Layout): string[] {
  const boxes = l.placed.map((p) => ({ id: p.node.id, x0: p.x - p.size / 2, x1: p.x + p.size / 2, y0: p.y - p.size / 2, y1: p.y + p.size / 2 + (p.node.depth >= 2 ? GRAPH_SIZES.gridLabel : GRAPH_SIZES.label) }));
  const out: string[] = [];
  for (const [i, a] of boxes.entries()) for (const b of boxes.slice(i + 1)) if (a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1) out.push(`${a.id} / ${b.id}`);
  return out;
}

describe('layoutCircuit', () => {
  it('puts the root on top, level 1 in a row by strength, and deeper units in the box of their strongest target', () => {
    const { nodes, edges } = small();
    const l = layoutCircuit(nodes, edges);
    expect(l.placed.map((p) => p.node.id).sort()).toEqual(nodes.map((n) => n.id).sort());
    const [r, b1, b2, x, y] = ['c:0', 'b:1', 'b:2', 'a:7', 'a:8'].map((id) => at(l, id));
    expect(b1.y).toBe(b2.y);
    expect(r.y).toBeLessThan(b1.y);
    expect(b2.x).toBeLessThan(b1.x); // b:2 feeds the root more strongly: first
    expect(r.x).toBe(l.width / 2);
    expect([x.group, y.group, b1.group, b2.group, r.group]).toEqual(['b:1', 'b:2', 'b:1', 'b:2', null]);
    for (const p of [x, y]) {
      const g = l.groups.find((box) => box.id === p.group)!;
      expect(p.y).toBeGreaterThan(b1.y);
      expect(p.x - p.size / 2).toBeGreaterThanOrEqual(g.x);
      expect(p.x + p.size / 2).toBeLessThanOrEqual(g.x + g.width);
      expect(p.y + p.size / 2).toBeLessThanOrEqual(g.y + g.height);
    }
    expect(l.height).toBeGreaterThanOrEqual(Math.max(...l.groups.map((g) => g.y + g.height)));
    const crosses = crossesGroups(l);
    expect(edges.filter(crosses).map((e) => `${e.source}->${e.target}`)).toEqual(['a:7->b:2']);
  });

  it('draws no boxes one level deep, and wraps a third level into its own rows of the level-1 box', () => {
    const { nodes, edges } = small();
    const one = visibleSubgraph(nodes, edges, 1, 10);
    expect(layoutCircuit(one.nodes, one.edges).groups).toEqual([]);
    const deep = layoutCircuit([...nodes, node('z:3', 3)], [...edges, edge('z:3', 'a:8', 0.3, 1)]);
    const [y, z] = [at(deep, 'a:8'), at(deep, 'z:3')];
    expect(z.group).toBe('b:2'); // a:8's box, through a:8
    expect(z.y).toBeGreaterThan(y.y);
    expect(overlaps(deep)).toEqual([]);
  });

  it('fits the default circuit (10 x 10) into a 1400 px window with level 1 at >= 64 px and nothing overlapping', () => {
    const { nodes, edges } = wide(10, 10, true);
    const l = layoutCircuit(nodes, edges);
    expect(overlaps(l)).toEqual([]);
    // The page's graph is ~1130 px wide in a 1400 px window; fitted with 24 px of padding.
    const zoom = (1130 - 48) / l.width;
    expect(GRAPH_SIZES.level1 * zoom).toBeGreaterThanOrEqual(64);
    expect(l.height * zoom).toBeLessThan(820);
    for (const g of l.groups) expect(g.width).toBeGreaterThanOrEqual(2 * GRAPH_SIZES.grid); // wrapped, not one column
  });

  it('keeps a box to the width of one level-1 unit when there are few of them, and no more columns than members', () => {
    const { nodes, edges } = wide(2, 3, false);
    const l = layoutCircuit(nodes, edges);
    const inBox = l.placed.filter((p) => p.group === 'b:0' && p.node.depth === 2);
    expect(new Set(inBox.map((p) => p.y)).size).toBe(1); // 3 members, one row
    expect(overlaps(l)).toEqual([]);
  });

  it('lays out the generated circuits: every node once, inside its box, nothing overlapping', () => {
    const dir = path.join(inject('generatedDir'), 'circuits');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const c = CircuitJson.parse(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
      const nodes = c.nodes.map((n) => ({ ...node(n.id, n.depth), layer: n.layer, unit: n.unit, minTop: n.minTop }));
      const l = layoutCircuit(nodes, c.edges);
      expect(l.placed.length).toBe(c.nodes.length);
      expect(new Set(l.placed.map((p) => p.node.id)).size).toBe(c.nodes.length);
      expect(overlaps(l)).toEqual([]);
      for (const p of l.placed) {
        const g = l.groups.find((box) => box.id === p.group);
        if (g) expect(p.x - p.size / 2 >= g.x && p.x + p.size / 2 <= g.x + g.width).toBe(true);
      }
    }
  });
});

describe('the circuit view in the address', () => {
  const max = { depth: 2, top: 10 };
  it('reads ?depth= and ?top= within 1..the generated maximum, else the maximum', () => {
    expect(viewFromSearch('?depth=1&top=5', max)).toEqual({ depth: 1, top: 5 });
    expect(viewFromSearch('', max)).toEqual(max);
    for (const bad of ['?depth=0', '?depth=3', '?depth=1.5', '?depth=-1', '?depth=x', '?depth=']) expect(viewFromSearch(bad, max).depth).toBe(2);
    expect(viewFromSearch('?top=11', max).top).toBe(10);
  });
  it('writes only what differs from the whole circuit, keeping other parameters', () => {
    expect(viewSearch('', { depth: 1, top: 5 }, max)).toBe('?depth=1&top=5');
    expect(viewSearch('?depth=1&top=5', max, max)).toBe('');
    expect(viewSearch('?q=a&top=3', { depth: 2, top: 4 }, max)).toBe('?q=a&top=4');
    for (const v of [{ depth: 1, top: 1 }, { depth: 2, top: 7 }, max]) expect(viewFromSearch(viewSearch('', v, max), max)).toEqual(v);
  });
});

describe('kernelScale', () => {
  it("draws a kernel on its target's scale, the circuit's where the target has none", () => {
    const scaleOf = kernelScale({ maxAbs: 0.5 }, [{ id: 'a:1', inputScale: 0.1 }, { id: 'b:2', inputScale: null }]);
    expect(scaleOf({ target: 'a:1' })).toBe(0.1);
    expect(scaleOf({ target: 'b:2' })).toBe(0.5);
    expect(scaleOf({ target: 'c:3' })).toBe(0.5);
  });
});
