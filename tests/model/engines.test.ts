import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../generator/model/backend.ts';
import { classify } from '../../generator/model/classify.ts';
import type { Engine } from '../../generator/model/engine.ts';
import { loadImage } from '../../generator/model/image.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import type { ModelSpec } from '../../generator/model/spec.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { channelStats } from '../../generator/model/stats.ts';
import { TfjsEngine } from '../../generator/model/tfjs-engine.ts';
import { randomArray, writeKerasH5 } from '../helpers/h5.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { tiny, tinyLayers } from '../helpers/tiny.ts';

// The contract every engine must meet: the same tests run on tfjs and on onnxruntime.
type Make = (spec: ModelSpec, weights: Awaited<ReturnType<typeof readKerasWeights>>) => Promise<Engine>;
const engines: Array<[string, Make]> = [
  ['tfjs', async (spec, w) => new TfjsEngine(spec, w)],
  ['onnxruntime', (spec, w) => OrtEngine.create(spec, w)],
];

describe.each(engines)('%s engine', (_name, make) => {
  let engine: Engine;
  beforeAll(async () => {
    await initBackend('wasm');
    engine = await make(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19));
  });

  const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

  describe('VGG19 activations against the float64 Keras references', () => {
    const ref = () => JSON.parse(readFileSync(path.join(FIXTURES(), 'reference_activations.json'), 'utf8'));
    for (const image of ['tench_224.png', 'elephant_224.png']) {
      it(`${image}: block1_conv1, block2_conv2, block3_conv4 per-channel mean and max within 1e-3`, async () => {
        const r = ref().images[image];
        const img = await loadImage(path.join(FIXTURES(), image));
        const layers = ['block1_conv1', 'block2_conv2', 'block3_conv4'];
        const acts = await engine.activations({ data: img.data, shape: [1, 224, 224, 3] }, layers);
        for (const l of layers) {
          const s = channelStats(acts.get(l)!);
          expect(s.mean.length).toBe(r[l].mean.length);
          const worst = Math.max(...s.mean.map((m, c) => relErr(m, r[l].mean[c])), ...s.max.map((m, c) => relErr(m, r[l].max[c])));
          expect(worst, `${image} ${l}`).toBeLessThanOrEqual(1e-3);
        }
      });
    }

    it('pre-ReLU activations have negative values, post-ReLU none, and agree where positive', async () => {
      const img = await loadImage(path.join(FIXTURES(), 'tench_224.png'));
      const x = { data: img.data, shape: [1, 224, 224, 3] };
      const pre = (await engine.activations(x, ['block2_conv1'], { preRelu: true })).get('block2_conv1')!;
      const post = (await engine.activations(x, ['block2_conv1'])).get('block2_conv1')!;
      expect(Math.min(...pre.data.subarray(0, 10000))).toBeLessThan(0);
      expect(post.data.reduce((m, v) => Math.min(m, v), Infinity)).toBe(0);
      for (let i = 0; i < pre.data.length; i += 997) expect(post.data[i]).toBeCloseTo(Math.max(0, pre.data[i]), 3);
    });

    it('asking for a layer the weights lack names what is available and how to get the rest', async () => {
      const x = { data: new Float32Array(224 * 224 * 3), shape: [1, 224, 224, 3] };
      await expect(engine.activations(x, ['block4_conv1'])).rejects.toThrow(/block4_conv1 is not in the loaded weights; available: block1_conv1.*block3_pool/);
      await expect(engine.activations(x, ['conv9'])).rejects.toThrow(/unknown layer 'conv9'/);
    });
  });

  describe('classifier head (synthetic full-layout file)', () => {
    // Plain-JS forward of the tiny net, written independently of the engine: explicit loops, Keras
    // channels_last flatten index (y * W + x) * C + c.
    function reference(img: Float32Array, w: Map<string, { kernel: Float32Array; bias: Float32Array; kernelShape: number[] }>): number[] {
      let h = 8;
      let c = 3;
      let x = new Float64Array(h * h * c);
      const mean = [103.939, 116.779, 123.68];
      for (let p = 0; p < h * h; p++) for (let k = 0; k < 3; k++) x[p * 3 + k] = img[p * 3 + (2 - k)] - mean[k];
      const conv = (name: string) => {
        const { kernel, bias, kernelShape } = w.get(name)!;
        const co = kernelShape[3];
        const y = new Float64Array(h * h * co);
        for (let i = 0; i < h; i++) for (let j = 0; j < h; j++) for (let o = 0; o < co; o++) {
          let s = bias[o];
          for (let di = 0; di < 3; di++) for (let dj = 0; dj < 3; dj++) {
            const ii = i + di - 1, jj = j + dj - 1;
            if (ii < 0 || jj < 0 || ii >= h || jj >= h) continue;
            for (let k = 0; k < c; k++) s += x[(ii * h + jj) * c + k] * kernel[((di * 3 + dj) * c + k) * co + o];
          }
          y[(i * h + j) * co + o] = Math.max(0, s);
        }
        x = y; c = co;
      };
      const pool = () => {
        const hh = h / 2;
        const y = new Float64Array(hh * hh * c);
        for (let i = 0; i < hh; i++) for (let j = 0; j < hh; j++) for (let k = 0; k < c; k++)
          y[(i * hh + j) * c + k] = Math.max(x[(2 * i * h + 2 * j) * c + k], x[(2 * i * h + 2 * j + 1) * c + k], x[((2 * i + 1) * h + 2 * j) * c + k], x[((2 * i + 1) * h + 2 * j + 1) * c + k]);
        x = y; h = hh;
      };
      const dense = (name: string, relu: boolean) => {
        const { kernel, bias, kernelShape } = w.get(name)!;
        const [n, m] = kernelShape;
        const y = new Float64Array(m);
        for (let o = 0; o < m; o++) { let s = bias[o]; for (let i = 0; i < n; i++) s += x[i] * kernel[i * m + o]; y[o] = relu ? Math.max(0, s) : s; }
        x = y;
      };
      conv('block1_conv1'); pool(); conv('block2_conv1'); pool(); dense('fc1', true); dense('predictions', false);
      const mx = Math.max(...x);
      const e = Array.from(x, (v) => Math.exp(v - mx));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    }

    it('flattens in Keras NHWC order and matches an independent computation', async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'atlas-tiny-')), 'tiny_full.h5');
      await writeKerasH5(file, tinyLayers(0.2));
      const weights = await readKerasWeights(file, tiny);
      const e = await make(tiny, weights);
      expect(e.layers()).toContain('predictions');
      const imgs = [0, 1].map((s) => ({ width: 8, height: 8, data: randomArray(8 * 8 * 3, 40 + s, 127).map((v) => v + 128) }));
      const flat = (await e.activations({ data: Float32Array.from([...imgs[0].data, ...imgs[1].data]), shape: [2, 8, 8, 3] }, ['flatten', 'fc1', 'predictions']));
      expect(flat.get('flatten')!.shape).toEqual([2, 24]);
      expect(flat.get('fc1')!.shape).toEqual([2, 5]);
      expect(flat.get('predictions')!.shape).toEqual([2, 3]);
      for (let i = 0; i < 2; i++) {
        const want = reference(imgs[i].data, weights.layers);
        const got = Array.from(flat.get('predictions')!.data.subarray(i * 3, i * 3 + 3));
        got.forEach((p, k) => expect(p).toBeCloseTo(want[k], 5));
      }
      const classes = [0, 1, 2].map((index) => ({ index, wnid: `n0${index}`, label: `class${index}` }));
      const [top] = await classify(e, [imgs[0]], 2, classes);
      expect(top).toHaveLength(2);
      expect(top[0].probability).toBeGreaterThanOrEqual(top[1].probability);
      e.dispose();
    });
  });
});
