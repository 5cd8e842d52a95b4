import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam } from '../../generator/optvis/adam.ts';
import { randomArray } from '../helpers/h5.ts';

describe('Adam on typed arrays', () => {
  it('takes the same steps as tfjs\'s Adam minimizing the negated objective', () => {
    const p0 = randomArray(6, 1, 1);
    const target = randomArray(6, 2, 1);
    // Objective sum(-(p - target)^2 * k), gradient -2 k (p - target): ascent moves p toward target.
    const k = Float32Array.of(1, 2, 3, 0.5, 10, 0.1);
    const grad = (p: Float32Array) => p.map((v, i) => -2 * k[i] * (v - target[i]));
    const ours = Float32Array.from(p0);
    const adam = new Adam(6, 0.05);
    const v = tf.variable(tf.tensor1d(p0));
    const ref = tf.train.adam(0.05, 0.9, 0.999, 1e-8);
    for (let s = 0; s < 25; s++) {
      adam.ascend(ours, grad(ours));
      ref.minimize(() => tf.sum(tf.mul(tf.square(tf.sub(v, tf.tensor1d(target))), tf.tensor1d(k))) as tf.Scalar, false, [v]);
    }
    const theirs = v.dataSync();
    ours.forEach((x, i) => expect(x).toBeCloseTo(theirs[i], 5));
    // And it climbed: the objective is higher than at the start.
    const objective = (p: Float32Array) => p.reduce((acc, x, i) => acc - k[i] * (x - target[i]) ** 2, 0);
    expect(objective(ours)).toBeGreaterThan(objective(p0));
  });

  it('rejects arrays of the wrong size', () => {
    expect(() => new Adam(3, 0.1).ascend(new Float32Array(3), new Float32Array(2))).toThrow(/3 parameters and 2 gradients/);
  });
});
