import { beforeAll, describe, expect, it } from 'vitest';
import { type CircuitGraph, circuitGraph } from '../../generator/circuit/graph.ts';
import { selectSubgraph } from '../../generator/circuit/select.ts';
import { type KerasWeights, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

let weights: KerasWeights;
beforeAll(async () => {
  weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
});

/** Order-free summary: nodes with their depths, edges with their ranks. */
const summary = (g: Pick<CircuitGraph, 'nodes' | 'edges'>) => ({
  nodes: g.nodes.map((n) => `${n.id}@${n.depth}`).sort(),
  edges: g.edges.map((e) => `${e.source}->${e.target}#${e.rank}`).sort(),
});

describe('selectSubgraph', () => {
  it('gives, for every smaller depth and top-k, exactly the graph generated with them', () => {
    for (const [layer, unit] of [['block3_conv4', 8], ['block2_conv1', 5], ['block1_conv2', 0]] as const) {
      const big = circuitGraph(vgg19, weights, layer, unit, { top: 6, depth: 3 });
      for (let depth = 0; depth <= 3; depth++) {
        for (let top = 1; top <= 6; top++) {
          const small = circuitGraph(vgg19, weights, layer, unit, { top, depth });
          expect(summary(selectSubgraph(big, depth, top)), `${layer}:${unit} depth ${depth} top ${top}`).toEqual(summary(small));
          // minTop is relative to the generated graph, so a small graph's own values agree with the big one's.
          const minTops = new Map(big.nodes.map((n) => [n.id, n.minTop]));
          for (const n of small.nodes) expect(n.minTop).toBe(minTops.get(n.id));
        }
      }
    }
  });

  it('keeps the generated order of nodes and edges', () => {
    const big = circuitGraph(vgg19, weights, 'block3_conv4', 8, { top: 4, depth: 2 });
    const sel = selectSubgraph(big, 2, 4);
    expect(sel.nodes).toEqual(big.nodes);
    expect(sel.edges).toEqual(big.edges);
    expect(selectSubgraph(big, 0, 4)).toEqual({ nodes: [big.nodes[0]], edges: [] });
  });
});
