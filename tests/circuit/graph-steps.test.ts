// Circuits of an imported graph (SqueezeNet 1.1): what feeds each conv through pools and concatenations,
// with every input channel named by the branch it comes from, and outputs into both expand convs.
import { describe, expect, it } from 'vitest';
import { graphConvSteps } from '../../generator/circuit/graph-steps.ts';
import { circuitGraph } from '../../generator/circuit/graph.ts';
import { INPUT_LAYER, convStep, unitConnections } from '../../generator/circuit/weights.ts';
import { readWeights } from '../../generator/model/load.ts';
import { getSpec } from '../../generator/model/load.ts';
import { shared } from '../helpers/shared.ts';

process.env.ATLAS_MODELS_DIR ??= shared('models');

describe('graph conv steps (SqueezeNet 1.1)', () => {
  it('traces every conv to the layer before it: the image, a squeeze, or a concatenation split by branch through a pool', () => {
    const spec = getSpec('squeezenet1.1');
    const steps = new Map(graphConvSteps(spec).map((s) => [s.name, s]));
    expect(steps.size).toBe(26);
    expect(steps.get('conv1')).toMatchObject({ source: INPUT_LAYER, inputTensor: null, inChannels: 3, stride: 2, pad: 0, sources: [{ layer: INPUT_LAYER, offset: 0, count: 3, labels: ['R', 'G', 'B'] }] });
    expect(steps.get('fire2_squeeze1x1')).toMatchObject({ source: 'conv1', inputTensor: 'pool1', pools: [{ name: 'pool1', size: 3, stride: 2 }] });
    expect(steps.get('fire2_expand3x3')).toMatchObject({ source: 'fire2_squeeze1x1', inputTensor: 'fire2_squeeze1x1', pools: [], stride: 1, pad: 1 });
    expect(steps.get('fire4_squeeze1x1')).toMatchObject({
      source: 'fire3_concat',
      inputTensor: 'pool3',
      inChannels: 128,
      sources: [
        { layer: 'fire3_expand1x1', offset: 0, count: 64 },
        { layer: 'fire3_expand3x3', offset: 64, count: 64 },
      ],
    });
    // conv10 reads fire9's concatenation through the dropout (an identity at inference).
    expect(steps.get('conv10')).toMatchObject({ source: 'fire9_concat', inChannels: 512, sources: [{ layer: 'fire9_expand1x1', count: 256 }, { layer: 'fire9_expand3x3', offset: 256, count: 256 }] });
  });

  it('connections name the branch and its unit; a squeeze unit\'s outputs rank both expand convs together; a circuit reaches two levels back', async () => {
    const spec = getSpec('squeezenet1.1');
    const weights = await readWeights(spec);
    const c = unitConnections(spec, weights, 'fire4_squeeze1x1', 5, Infinity);
    expect(c.inputs).toHaveLength(128);
    const branches = new Set(c.inputs.map((i) => i.layer));
    expect(branches).toEqual(new Set(['fire3_expand1x1', 'fire3_expand3x3']));
    expect(Math.max(...c.inputs.map((i) => i.unit))).toBe(63);
    // Channel 64 + u of the concatenation is unit u of the 3x3 branch: its kernel is the squeeze conv's at channel 64 + u.
    const w = weights.layers.get('fire4_squeeze1x1')!;
    const three = c.inputs.find((i) => i.layer === 'fire3_expand3x3' && i.unit === 7)!;
    expect(three.kernel[0][0]).toBeCloseTo(w.kernel[(64 + 7) * w.kernelShape[3] + 5], 6);
    const out = unitConnections(spec, weights, 'fire4_squeeze1x1', 5, 10).outputs;
    expect(out).toHaveLength(10);
    expect(out.map((o) => o.l2)).toEqual([...out.map((o) => o.l2)].sort((a, b) => b - a));
    expect(new Set(unitConnections(spec, weights, 'fire4_squeeze1x1', 5, 256).outputs.map((o) => o.layer))).toEqual(new Set(['fire4_expand1x1', 'fire4_expand3x3']));
    const g = circuitGraph(spec, weights, 'fire4_squeeze1x1', 5, { top: 3, depth: 2 });
    expect(new Set(g.nodes.filter((n) => n.depth === 2).map((n) => n.layer))).toEqual(new Set(['fire3_squeeze1x1']));
    expect(() => convStep(spec, weights, 'fire3_concat')).toThrow(/layer fire3_concat is a concat layer/);
  });
});
