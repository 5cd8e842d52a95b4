import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { channel, DIVERSITY_WEIGHT, diversityPenalty, negative, neuron, objectiveFor } from '../../generator/optvis/objectives.ts';
import { randomArray } from '../helpers/h5.ts';
import { autodiff } from '../../generator/model/objective-eval.ts';

describe('objectives', () => {
  const act = tf.tensor4d(randomArray(2 * 5 * 5 * 4, 3), [2, 5, 5, 4]);
  const at = (n: number, y: number, x: number, c: number) => act.dataSync()[((n * 5 + y) * 5 + x) * 4 + c];

  it('channel: mean of each image\'s own unit; negative: its opposite; neuron: the centre', () => {
    const v = channel([1, 3])(act).dataSync();
    let s0 = 0;
    let s1 = 0;
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) { s0 += at(0, y, x, 1); s1 += at(1, y, x, 3); }
    expect(v[0]).toBeCloseTo(s0 / 25, 5);
    expect(v[1]).toBeCloseTo(s1 / 25, 5);
    expect(negative([1, 3])(act).dataSync()[1]).toBeCloseTo(-s1 / 25, 5);
    const n = neuron([2, 0])(act).dataSync();
    expect(n[0]).toBeCloseTo(at(0, 2, 2, 2), 6);
    expect(n[1]).toBeCloseTo(at(1, 2, 2, 0), 6);
    expect(channel([1, 3], { relu: true })(act).dataSync()[0]).toBeGreaterThanOrEqual(v[0]);
  });

  it('diversity: identical images are penalized by (g-1)/g each, disjoint ones not at all', () => {
    const same = tf.tile(tf.abs(tf.tensor4d(randomArray(3 * 3 * 4, 8), [1, 3, 3, 4])), [4, 1, 1, 1]);
    diversityPenalty(4)(same).dataSync().forEach((v) => expect(v).toBeCloseTo(-0.75, 4));
    const disjoint = tf.tensor4d([1, 0, 0, 1], [2, 1, 1, 2]);
    diversityPenalty(2)(disjoint).dataSync().forEach((v) => expect(v).toBeCloseTo(0, 6));
    const total = objectiveFor('diversity', [0, 0, 0, 0])(same).dataSync();
    const ch = channel([0, 0, 0, 0])(same).dataSync();
    // The penalty is weighted by DIVERSITY_WEIGHT x the group's mean |channel value|.
    const scale = (DIVERSITY_WEIGHT * Array.from(ch).reduce((a, b) => a + Math.abs(b), 0)) / 4;
    total.forEach((v, i) => expect(v).toBeCloseTo(ch[i] - scale * 0.75, 3));
  });

  it('a linear objective\'s declared gradient equals its autodiff gradient; diversity is not', () => {
    const cases = { channel: channel([1, 3]), negative: negative([2, 0]), neuron: neuron([0, 3]), both: objectiveFor('channel', [3, 1]) };
    for (const [name, f] of Object.entries(cases)) {
      const auto = tf.grad((a: tf.Tensor) => tf.sum(f(a)))(act).dataSync();
      const declared = f.linear!(act.shape);
      expect(Array.from(declared, (v) => v + 0), name).toEqual(Array.from(auto, (v) => v + 0)); // + 0: -0 equals 0
    }
    // With relu, linear in the post-ReLU activation it reads (a positive one here: relu' is 1 everywhere).
    const post = tf.add(tf.abs(act), 0.1);
    for (const f of [channel([1, 3], { relu: true }), neuron([2, 0], { relu: true }), negative([0, 1], { relu: true })]) {
      expect(f.postRelu).toBe(true);
      const auto = tf.grad((a: tf.Tensor) => tf.sum(f(a)))(post).dataSync();
      expect(Array.from(f.linear!(act.shape), (v) => v + 0)).toEqual(Array.from(auto, (v) => v + 0));
    }
    expect(channel([1, 3]).postRelu).toBeUndefined();
    expect(objectiveFor('diversity', [0, 0, 0, 0]).linear).toBeUndefined();
    expect(() => channel([1]).linear!(act.shape)).toThrow(/1 images applied to a batch of 2/);
  });

  it('a linear gradient asked for on its channels alone is the whole one\'s columns for them', () => {
    const shape = [2, 5, 4, 6];
    for (const f of [channel([4, 1]), negative([3, 3]), neuron([0, 5], { relu: true })]) {
      const channels = f.channels!;
      const whole = f.linear!(shape);
      const picked = whole.filter((_, i) => channels.includes(i % shape[3])); // NHWC: the columns, in channel order
      const direct = f.linear!(shape, channels);
      expect(direct.length).toBe(2 * 5 * 4 * channels.length);
      expect(Array.from(direct)).toEqual(Array.from(picked));
      expect(direct.some((v) => v !== 0)).toBe(true);
    }
    // A unit outside the channels asked for cannot be put anywhere: an error, not a silent zero.
    expect(() => channel([4, 1]).linear!(shape, [1])).toThrow(/unit 4 is not among the channels asked for \(1\)/);
  });

  it('diversity on onnxruntime gives the values and gradient of tfjs\'s autodiff', async () => {
    const shape = [8, 6, 5, 16];
    const data = randomArray(8 * 6 * 5 * 16, 41, 1);
    const act = { data, shape };
    for (const f of [diversityPenalty(4), objectiveFor('diversity', [1, 1, 1, 1, 7, 7, 7, 7])]) {
      expect(f.evaluate).toBeDefined();
      const fast = await f.evaluate!(act);
      const ref = autodiff(f, act);
      const scale = Math.max(...ref.grad.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      fast.grad.forEach((v, i) => expect(Math.abs(v - ref.grad[i]) / scale).toBeLessThan(1e-4));
      fast.values.forEach((v, i) => expect(v).toBeCloseTo(ref.values[i], 4));
    }
    await expect(diversityPenalty(4).evaluate!({ data: new Float32Array(3 * 16), shape: [3, 1, 1, 16] })).rejects.toThrow(/multiple of 4, got 3/);
  });
});
