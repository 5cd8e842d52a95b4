import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../generator/model/backend.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { makeFastConv, TfjsEngine } from '../../generator/model/tfjs-engine.ts';
import { randomArray } from '../helpers/h5.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

let engine: TfjsEngine;
beforeAll(async () => {
  await initBackend('wasm');
  engine = new TfjsEngine(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19));
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

