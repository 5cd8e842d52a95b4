import type cytoscape from 'cytoscape';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CircuitGraph, circuitGraph, toCytoscape } from '../../generator/circuit/graph.ts';
import { kernelOf, unitConnections } from '../../generator/circuit/weights.ts';
import { type KerasWeights, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

let weights: KerasWeights;
beforeAll(async () => {
  weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
});

function expectNoDuplicates(g: CircuitGraph): void {
  const ids = g.nodes.map((n) => n.id);
  expect(new Set(ids).size).toBe(ids.length);
  const edges = g.edges.map((e) => `${e.source}->${e.target}`);
  expect(new Set(edges).size).toBe(edges.length);
  for (const e of g.edges) {
    expect(ids).toContain(e.source);
    expect(ids).toContain(e.target);
  }
}

describe('circuitGraph', () => {
  it('has the root alone at depth 0, and k inputs at depth 1', () => {
    const g0 = circuitGraph(vgg19, weights, 'block3_conv4', 8, { top: 5, depth: 0 });
    expect(g0).toEqual({ nodes: [{ id: 'block3_conv4:8', layer: 'block3_conv4', unit: 8, depth: 0, minTop: 1 }], edges: [] });
    const g1 = circuitGraph(vgg19, weights, 'block3_conv4', 8, { top: 5, depth: 1 });
    expectNoDuplicates(g1);
    const top5 = unitConnections(vgg19, weights, 'block3_conv4', 8, 5).inputs;
    expect(g1.nodes.slice(1).map((n) => n.id)).toEqual(top5.map((c) => `block3_conv3:${c.unit}`));
    expect(g1.edges.map((e) => [e.source, e.target, e.l2, e.sum, e.sign, e.kernel, e.rank])).toEqual(
      top5.map((c, i) => [`block3_conv3:${c.unit}`, 'block3_conv4:8', c.l2, c.sum, c.sign, c.kernel, i + 1]),
    );
    // A level-1 node is in the top-k graph from k = its rank on.
    expect(g1.nodes.slice(1).map((n) => n.minTop)).toEqual([1, 2, 3, 4, 5]);
  });

  it('at depth 2 has k + k*k edges and the union of the second-level inputs as nodes, without duplicates', () => {
    const k = 5;
    const g = circuitGraph(vgg19, weights, 'block3_conv4', 8, { top: k, depth: 2 });
    expectNoDuplicates(g);
    const level1 = unitConnections(vgg19, weights, 'block3_conv4', 8, k).inputs.map((c) => c.unit);
    const level2 = new Set(level1.flatMap((u) => unitConnections(vgg19, weights, 'block3_conv3', u, k).inputs.map((c) => c.unit)));
    expect(level2.size).toBeLessThan(k * k); // some block3_conv2 units feed several of them: shared, not duplicated
    expect(g.nodes).toHaveLength(1 + k + level2.size);
    expect(g.edges).toHaveLength(k + k * k);
    expect(g.nodes.filter((n) => n.depth === 2).map((n) => n.unit).sort((a, b) => a - b)).toEqual([...level2].sort((a, b) => a - b));
  });

  it("gives each unit whose inputs it follows its kernels' colour scale: the largest |w| over all its inputs", () => {
    const g = circuitGraph(vgg19, weights, 'block2_conv2', 5, { top: 3, depth: 2 });
    const targets = new Set(g.edges.map((e) => e.target));
    for (const n of g.nodes) {
      if (!targets.has(n.id)) {
        expect(n.inputScale).toBeUndefined();
        continue;
      }
      // Over every input channel, not only the ones drawn (a weaker input may hold the largest weight).
      const w = weights.layers.get(n.layer)!;
      const all = Array.from({ length: w.kernelShape[2] }, (_, i) => kernelOf(w, i, n.unit).flat().map(Math.abs));
      expect(n.inputScale).toBe(Math.max(...all.flat()));
      const drawn = g.edges.filter((e) => e.target === n.id).flatMap((e) => e.kernel.flat().map(Math.abs));
      expect(n.inputScale).toBeGreaterThanOrEqual(Math.max(...drawn));
    }
  });

  it('stops at the image: block1_conv2 at depth 3 ends in the B, G, R nodes', () => {
    const g = circuitGraph(vgg19, weights, 'block1_conv2', 0, { top: 4, depth: 3 });
    expectNoDuplicates(g);
    expect(g.nodes.filter((n) => n.layer === 'input').map((n) => n.label).sort()).toEqual(['B', 'G', 'R']);
    expect(g.edges).toHaveLength(4 + 4 * 3);
  });

  it('gives Cytoscape elements: nodes with labels, edges with ids', () => {
    const g = circuitGraph(vgg19, weights, 'block2_conv2', 5, { top: 3, depth: 2 });
    const els: cytoscape.ElementDefinition[] = toCytoscape(g);
    expect(els).toHaveLength(g.nodes.length + g.edges.length);
    const nodes = els.filter((e) => e.group === 'nodes');
    expect(nodes[0].data).toMatchObject({ id: 'block2_conv2:5', label: 'block2_conv2 5' });
    const edgeIds = els.filter((e) => e.group === 'edges').map((e) => e.data.id);
    expect(new Set(edgeIds).size).toBe(g.edges.length);
    expect(edgeIds[0]).toMatch(/^block2_conv1:\d+->block2_conv2:5$/);
  });
});
