import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AttributionExample, inputAttribution, rankByAttribution } from '../../generator/circuit/attribution.ts';
import { convStep, inputConnections } from '../../generator/circuit/weights.ts';
import { initBackend } from '../../generator/model/backend.ts';
import type { Engine, NdArray } from '../../generator/model/engine.ts';
import { loadImage, preprocessPixels } from '../../generator/model/image.ts';
import { type LayerWeights, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { TfjsEngine } from '../../generator/model/tfjs-engine.ts';
import { randomArray } from '../helpers/h5.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { tiny } from '../helpers/tiny.ts';

/** An engine that returns hand-made activations of one layer, whatever the images. */
function fakeEngine(layer: string, make: (n: number) => NdArray): Engine & { calls: Array<{ layers: string[]; shape: number[] }> } {
  const calls: Array<{ layers: string[]; shape: number[] }> = [];
  return {
    name: 'fake',
    spec: tiny,
    calls,
    layers: () => tiny.layers.map((l) => l.name),
    activations: async (images, layers) => {
      calls.push({ layers, shape: images.shape });
      if (layers.join() !== layer) throw new Error(`unexpected layers ${layers}`);
      return new Map([[layer, make(images.shape[0])]]);
    },
    inputGradient: async () => {
      throw new Error('not used');
    },
    dispose: () => {},
  };
}

const tench = () => path.join(FIXTURES(), 'tench_224.png');

describe('inputAttribution on a synthetic case', () => {
  // tiny's block2_conv1 reads block1_pool: 4x4x4 for an 8x8 image. Channel 0 never fires but has by far
  // the largest weights; channel 1 fires everywhere with one small central weight; channel 2 fires at a
  // single spot with negative weights; channel 3 fires weakly everywhere with moderate weights.
  const unit = 2;
  const pooled = (n: number): NdArray => {
    const data = new Float32Array(n * 4 * 4 * 4);
    for (let b = 0; b < n; b++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 4; x++) {
          const o = ((b * 4 + y) * 4 + x) * 4;
          data[o + 1] = 1;
          data[o + 2] = y === 1 && x === 2 ? 2 : 0;
          data[o + 3] = 0.5;
        }
    return { data, shape: [n, 4, 4, 4] };
  };
  const kernel = randomArray(3 * 3 * 4 * 6, 5, 0.01);
  for (let p = 0; p < 9; p++) {
    kernel[(p * 4 + 0) * 6 + unit] = 10;
    kernel[(p * 4 + 1) * 6 + unit] = p === 4 ? 0.3 : 0;
    kernel[(p * 4 + 2) * 6 + unit] = -0.1;
    kernel[(p * 4 + 3) * 6 + unit] = 0.2;
  }
  const w: LayerWeights = { kernel, kernelShape: [3, 3, 4, 6], bias: new Float32Array(6) };
  const weights = { layers: new Map([['block1_conv1', { kernel: new Float32Array(108), kernelShape: [3, 3, 3, 4], bias: new Float32Array(4) }], ['block2_conv1', w]]) };

  it('gives the never-firing large-weight channel nothing, and ranks by contribution', async () => {
    const engine = fakeEngine('block1_pool', pooled);
    // Interior, top-left corner (zero padding: 4 of 9 cells), right edge and bottom edge (6 of 9 each).
    const examples: AttributionExample[] = [
      { image: tench(), x: 1, y: 1 },
      { image: tench(), x: 0, y: 0 },
      { image: tench(), x: 3, y: 2 },
      { image: tench(), x: 2, y: 3 },
    ];
    const a = await inputAttribution(engine, weights, 'block2_conv1', unit, examples, { batch: 3 });
    // ch1: 0.3 each time; ch2: -0.2 when (y 1, x 2) is in the window (1st and 3rd); ch3: 0.1 per in-grid cell.
    const want = [0, 0.3, (-0.2 + 0 - 0.2 + 0) / 4, (0.9 + 0.4 + 0.6 + 0.6) / 4];
    want.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6));
    expect(engine.calls.map((c) => c.shape)).toEqual([[3, 8, 8, 3], [1, 8, 8, 3]]);

    const step = convStep(tiny, weights, 'block2_conv1');
    expect(inputConnections(step, w, unit, 4).inputs[0].unit).toBe(0); // by weight, the dead channel wins
    const r = rankByAttribution(step, w, unit, a, 4);
    expect(r.inputs.map((c) => c.unit)).toEqual([3, 1, 2, 0]);
    expect(r.excitatory.map((c) => c.unit)).toEqual([3, 1]);
    expect(r.inhibitory.map((c) => c.unit)).toEqual([2]);
    expect(r.inputs[0]).toMatchObject({ layer: 'block1_conv1', attribution: a[3], sign: 'excitatory' });
  });

  it('uses the preprocessed image for the first conv, without the engine', async () => {
    const engine = fakeEngine('none', () => {
      throw new Error('the first conv needs no activations');
    });
    const k1 = randomArray(3 * 3 * 3 * 4, 9);
    const w1: LayerWeights = { kernel: k1, kernelShape: [3, 3, 3, 4], bias: new Float32Array(4) };
    const a = await inputAttribution(engine, { layers: new Map([['block1_conv1', w1]]) }, 'block1_conv1', 1, [{ image: tench(), x: 3, y: 4 }]);
    const img = preprocessPixels((await loadImage(tench(), 8)).data, tiny.preprocessing); // BGR minus the mean
    for (let i = 0; i < 3; i++) {
      let want = 0;
      for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) want += k1[((dy * 3 + dx) * 3 + i) * 4 + 1] * img[((4 + dy - 1) * 8 + (3 + dx - 1)) * 3 + i];
      expect(a[i]).toBeCloseTo(want, 3);
    }
  });

  it('rejects positions outside the grid and an empty example list (exit 2)', async () => {
    const engine = fakeEngine('block1_pool', pooled);
    await expect(inputAttribution(engine, weights, 'block2_conv1', unit, [{ image: tench(), x: 4, y: 0 }])).rejects.toThrow(/outside block2_conv1's 4x4 grid/);
    await expect(inputAttribution(engine, weights, 'block2_conv1', unit, [])).rejects.toThrow(/no examples/);
  });
});

describe('inputAttribution with VGG19', () => {
  it('contributions plus the bias are the pre-ReLU activation (through block1_pool, and from the image)', async () => {
    await initBackend('wasm');
    const weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const engine = new TfjsEngine(vgg19, weights);
    const img = await loadImage(tench());
    for (const [layer, unit, x, y] of [['block2_conv1', 3, 20, 30], ['block1_conv1', 5, 0, 0]] as const) {
      const a = await inputAttribution(engine, weights, layer, unit, [{ image: tench(), x, y }]);
      const pre = (await engine.activations({ data: img.data, shape: [1, 224, 224, 3] }, [layer], { preRelu: true })).get(layer)!;
      const [, , w, c] = pre.shape;
      const want = pre.data[(y * w + x) * c + unit];
      const got = a.reduce((s, v) => s + v, 0) + weights.layers.get(layer)!.bias[unit];
      expect(Math.abs(got - want)).toBeLessThan(1e-3 * Math.max(1, Math.abs(want)));
    }
    engine.dispose();
  });
});
