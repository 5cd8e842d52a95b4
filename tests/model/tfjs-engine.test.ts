import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../generator/model/backend.ts';
import { classify } from '../../generator/model/classify.ts';
import { loadImage } from '../../generator/model/image.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { channelStats } from '../../generator/model/stats.ts';
import { makeFastConv, TfjsEngine } from '../../generator/model/tfjs-engine.ts';
import { randomArray, writeKerasH5 } from '../helpers/h5.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { tiny, tinyLayers } from '../helpers/tiny.ts';

let engine: TfjsEngine;
beforeAll(async () => {
  await initBackend('wasm');
  engine = new TfjsEngine(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19));
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

describe('fast conv input-gradient (flipped, transposed kernel)', () => {
  it('equals tf.grad of the plain conv on random data (max relative error < 1e-4)', () => {
    for (const [h, cin, cout] of [[9, 3, 5], [16, 8, 4], [12, 16, 16]]) {
      const x = tf.tensor4d(randomArray(2 * h * h * cin, h), [2, h, h, cin]);
      const w = tf.tensor4d(randomArray(9 * cin * cout, cin + 7), [3, 3, cin, cout]);
      const b = tf.tensor1d(randomArray(cout, 3));
      const dy = tf.tensor4d(randomArray(2 * h * h * cout, 11), [2, h, h, cout]);
      const fast = makeFastConv(w, b);
      const gFast = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fast(t as tf.Tensor4D), dy)))(x);
      const gRef = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.conv2d(t as tf.Tensor4D, w, 1, 'same'), b), dy)))(x);
      const err = tf.max(tf.abs(tf.sub(gFast, gRef))).dataSync()[0] / tf.max(tf.abs(gRef)).dataSync()[0];
      expect(err).toBeLessThan(1e-4);
      expect(Array.from(fast(x).dataSync().slice(0, 20))).toEqual(Array.from(tf.add(tf.conv2d(x, w, 1, 'same'), b).dataSync().slice(0, 20)));
    }
  });

  it('gives the same input gradient through the whole network as tfjs\'s own backward conv', async () => {
    const slow = new TfjsEngine(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19), { fastConvGrad: false });
    const x = { data: randomArray(32 * 32 * 3, 5, 60).map((v) => v + 120), shape: [1, 32, 32, 3] };
    const objective = (a: tf.Tensor) => tf.mean(tf.slice(a, [0, 0, 0, 7], [-1, -1, -1, 1]), [1, 2, 3]) as tf.Tensor1D;
    const a = await engine.inputGradient(x, 'block2_conv2', objective);
    const b = await slow.inputGradient(x, 'block2_conv2', objective);
    const max = Math.max(...b.grad.data.map(Math.abs));
    const err = Math.max(...a.grad.data.map((v, i) => Math.abs(v - b.grad.data[i]))) / max;
    expect(max).toBeGreaterThan(0);
    expect(err).toBeLessThan(1e-4);
    expect(a.values[0]).toBeCloseTo(b.values[0], 4);
    slow.dispose();
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
    const e = new TfjsEngine(tiny, weights);
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
