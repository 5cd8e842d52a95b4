// What drives a class (SqueezeNet 1.1's conv10 -> ReLU -> global average pool head): the head found from
// the graph, attributions that add up to the engine's logit, and each attribution recomputed from the
// engine's own conv10 map (its ReLU decides where a unit counts) and the weights.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classDrivers, classHead, type LabelledImage } from '../../generator/circuit/class-drivers.ts';
import { loadImage } from '../../generator/model/image.ts';
import { getSpec, type LoadedModel, loadModel } from '../../generator/model/load.ts';
import { shared } from '../helpers/shared.ts';

process.env.ATLAS_MODELS_DIR ??= shared('models');
const sample = (wnid: string, name: string, cls: number | null): LabelledImage => ({ file: shared('datasets', 'imagenet-sample', wnid, `${wnid}_${name}.jpg`), rel: `${wnid}/${wnid}_${name}.jpg`, cls });

let m: LoadedModel;
beforeAll(async () => {
  m = await loadModel({ model: 'squeezenet1.1', engine: 'onnxruntime' });
});
afterAll(() => m?.engine.dispose());

describe('class drivers', () => {
  it('finds the head from the graph: conv10 (ReLU, global average pool) reading fire9_concat; a sequential spec has none', () => {
    expect(classHead(getSpec('squeezenet1.1'))).toMatchObject({ layer: 'conv10', gated: true, step: { source: 'fire9_concat', inputTensor: 'fire9_concat' } });
    expect(classHead(getSpec('vgg19'))).toEqual({ reason: expect.stringMatching(/vgg19's classifier is a dense head/) });
  });

  it("adds up to the engine's logit, and each attribution is weight x activation where the engine's conv10 map is positive", async () => {
    const images = [sample('n01440764', 'tench', 0), sample('n01443537', 'goldfish', 1), sample('n01443537', 'goldfish', 1), sample('n01484850', 'great_white_shark', null)];
    const r = await classDrivers(m.engine, m.weights, images, { top: 5, batch: 3 });
    expect(r.images).toBe(3);
    expect(r.check).toBeLessThan(1e-5);
    expect(r.classes).toHaveLength(1000);
    const [tench, goldfish, shark] = r.classes;
    expect(tench.attribution?.images).toEqual(['n01440764/n01440764_tench.jpg']);
    // The same image twice: the mean is that image's.
    expect(goldfish.attribution?.images).toHaveLength(2);
    // No labelled image of class 2: weights only.
    expect(shark.attribution).toBeNull();
    expect(shark.weight.excitatory).toHaveLength(5);

    const img = await loadImage(images[0].file, 224);
    const acts = await m.engine.activations({ data: Float32Array.from(img.data), shape: [1, 224, 224, 3] }, ['fire9_concat', 'conv10', 'logits']);
    const [a, map] = [acts.get('fire9_concat')!, acts.get('conv10')!];
    const [, h, w, cin] = a.shape;
    const conv10 = m.weights.layers.get('conv10')!;
    const top = tench.attribution!.excitatory[0];
    const i = top.layer === 'fire9_expand1x1' ? top.unit : 256 + top.unit;
    let sum = 0;
    for (let p = 0; p < h * w; p++) if (map.data[p * 1000] > 0) sum += conv10.kernel[i * 1000] * a.data[p * cin + i];
    expect(top.attribution).toBeCloseTo(sum / (h * w), 4);
    expect(tench.attribution!.logit).toBeCloseTo(acts.get('logits')!.data[0], 3);
    // Ranked: the most positive first, every inhibitory one negative.
    expect(tench.attribution!.excitatory.map((c) => c.attribution)).toEqual([...tench.attribution!.excitatory.map((c) => c.attribution)].sort((x, y) => y - x));
    expect(tench.attribution!.inhibitory.every((c) => c.attribution < 0)).toBe(true);
  });
});
