import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Adam, NAdam } from '../../generator/optvis/adam.ts';
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

/**
 * PyTorch's torch.optim.NAdam algorithm as its documentation writes it, in float64, minimizing f = -objective:
 * mu_t = b1 (1 - 0.5 * 0.96^(t psi)), m_t, v_t, then
 * theta -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) g / (sqrt(v_hat) + eps) + lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) m_t / (sqrt(v_hat) + eps).
 */
function torchNadamReference(p0: Float32Array, grad: (p: Float64Array) => Float64Array, steps: number, lr: number): Float64Array {
  const [b1, b2, eps, psi] = [0.9, 0.999, 1e-8, 4e-3];
  const theta = Float64Array.from(p0);
  const m = new Float64Array(p0.length);
  const v = new Float64Array(p0.length);
  let prod = 1;
  for (let t = 1; t <= steps; t++) {
    const gLoss = grad(theta).map((x) => -x); // the loss's gradient
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
    prod *= mu;
    for (let i = 0; i < theta.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * gLoss[i];
      v[i] = b2 * v[i] + (1 - b2) * gLoss[i] ** 2;
      const denom = Math.sqrt(v[i] / (1 - b2 ** t)) + eps;
      theta[i] -= (lr * (1 - mu) * gLoss[i]) / (1 - prod) / denom + (lr * muNext * m[i]) / (1 - prod * muNext) / denom;
    }
  }
  return theta;
}

describe('NAdam on typed arrays', () => {
  it("takes PyTorch NAdam's steps (its documented algorithm in float64), and climbs", () => {
    // Every coordinate far from its target: near it a step's sign follows rounding (|g| ~ epsilon).
    const p0 = Float32Array.of(0.3, -0.2, 0.5, 0.1, -0.7, 0.9);
    const target = Float32Array.of(-0.5, 0.4, 0.2, -0.3, 0.6, -0.1);
    const k = Float32Array.of(1, 2, 3, 0.5, 10, 0.1);
    const objective = (p: ArrayLike<number>) => Array.from(p).reduce((acc, x, i) => acc - k[i] * (x - target[i]) ** 2, 0);
    const ours = Float32Array.from(p0);
    const nadam = new NAdam(6, 0.05);
    for (let s = 0; s < 40; s++) nadam.ascend(ours, ours.map((v, i) => -2 * k[i] * (v - target[i])));
    const ref = torchNadamReference(p0, (p) => p.map((v, i) => -2 * k[i] * (v - target[i])), 40, 0.05);
    ours.forEach((x, i) => expect(x).toBeCloseTo(ref[i], 5));
    expect(objective(ours)).toBeGreaterThan(objective(p0));
  });

  it('first step: lr x sign(g) x (1 + (1 - b1) mu_2 / (1 - mu_1 mu_2)), about 1.0565 lr', () => {
    const p = Float32Array.of(0, 0);
    new NAdam(2, 1).ascend(p, Float32Array.of(3, -0.01));
    const mu = (t: number) => 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3));
    const step = 1 + (0.1 * mu(2)) / (1 - mu(1) * mu(2));
    expect(step).toBeCloseTo(1.0565, 4);
    expect(p[0]).toBeCloseTo(step, 5);
    expect(p[1]).toBeCloseTo(-step, 3); // epsilon matters a little at |g| = 0.01
  });

  it('rejects arrays of the wrong size', () => {
    expect(() => new NAdam(3, 0.1).ascend(new Float32Array(3), new Float32Array(2))).toThrow(/NAdam: 3 parameters and 2 gradients/);
  });
});
