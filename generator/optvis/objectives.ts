// Objectives (Lucid/Lucent): what gradient ascent maximizes, per image of a batch in which image i
// belongs to unit units[i]. They receive the layer's pre-ReLU activation [N, h, w, C] and return one
// value per image, so that many units can be optimized in one batch.
import * as tf from '@tensorflow/tfjs';
import type { Objective, ObjectiveGradient } from '../model/engine.ts';
import { autodiff, linearValues } from '../model/objective-eval.ts';
import { diversityOrt } from './diversity-ort.ts';

export const OBJECTIVES = ['channel', 'neuron', 'negative', 'diversity'] as const;
export type ObjectiveName = (typeof OBJECTIVES)[number];

function unitMask(units: number[], channels: number): tf.Tensor4D {
  const mask = new Float32Array(units.length * channels);
  units.forEach((u, i) => (mask[i * channels + u] = 1));
  return tf.tensor4d(mask, [units.length, 1, 1, channels]);
}

/**
 * The gradient of sum_i weight * act[i, y, x, units[i]] over the given positions: the constant gradient
 * of a linear objective, for engines that run forward and backward in one go.
 */
function unitGradient(units: number[], weight: number, positions: (h: number, w: number) => number[]): (shape: number[]) => Float32Array {
  return ([n, h, w, c]) => {
    if (n !== units.length) throw new Error(`objective for ${units.length} images applied to a batch of ${n}`);
    const g = new Float32Array(n * h * w * c);
    const ps = positions(h, w);
    for (let i = 0; i < n; i++) for (const p of ps) g[(i * h * w + p) * c + units[i]] = weight;
    return g;
  };
}

const allPositions = (h: number, w: number) => Array.from({ length: h * w }, (_, p) => p);
const centre = (h: number, w: number) => [Math.floor(h / 2) * w + Math.floor(w / 2)];

/** Mean of each image's unit over all positions. */
export function channel(units: number[], opts: { relu?: boolean } = {}, sign = 1): Objective {
  const f: Objective = (act) =>
    tf.tidy(() => {
      const a = opts.relu ? tf.relu(act) : act;
      const mean = tf.mean(tf.sum(tf.mul(a, unitMask(units, act.shape[3]!)), 3), [1, 2]);
      return (sign === 1 ? mean : tf.mul(mean, sign)) as tf.Tensor1D;
    });
  if (!opts.relu) f.linear = (shape) => unitGradient(units, sign / (shape[1] * shape[2]), allPositions)(shape);
  return f;
}

/** Each image's unit at the centre position (floor(h/2), floor(w/2)). */
export function neuron(units: number[], opts: { relu?: boolean } = {}): Objective {
  const f: Objective = (act) =>
    tf.tidy(() => {
      const [, h, w, c] = act.shape as number[];
      const middle = tf.slice(act, [0, Math.floor(h / 2), Math.floor(w / 2), 0], [-1, 1, 1, c]);
      const a = opts.relu ? tf.relu(middle) : middle;
      return tf.reshape(tf.sum(tf.mul(a, unitMask(units, c)), [1, 2, 3]), [-1]) as tf.Tensor1D;
    });
  if (!opts.relu) f.linear = unitGradient(units, 1, centre);
  return f;
}

/** What the unit dislikes: minimize its channel mean. */
export function negative(units: number[], opts: { relu?: boolean } = {}): Objective {
  return channel(units, opts, -1);
}

/**
 * Diversity (Lucid): within each group of `group` consecutive images, penalize the cosine similarity of
 * their Gram matrices (post-ReLU, same layer). Image i gets -sum_{j != i} cos(G_i, G_j) / group, so the
 * batch total is Lucid's diversity term.
 */
export function diversityPenalty(group: number): Objective {
  const f: Objective = (act) =>
    tf.tidy(() => {
      const [n, h, w, c] = act.shape as number[];
      if (n % group !== 0) throw new Error(`diversity needs a batch that is a multiple of ${group}, got ${n}`);
      const flat = tf.reshape(tf.relu(act), [n, h * w, c]);
      const grams = tf.reshape(tf.matMul(flat, flat, true, false), [n / group, group, c * c]);
      const unit = tf.div(grams, tf.maximum(tf.norm(grams, 'euclidean', 2, true), 1e-10));
      const sims = tf.matMul(unit, unit, false, true); // [groups, group, group]
      const offDiagonal = tf.sub(tf.sum(sims, 2), tf.sum(tf.mul(sims, tf.eye(group).expandDims(0)), 2));
      return tf.reshape(tf.div(tf.neg(offDiagonal), group), [n]) as tf.Tensor1D;
    });
  // On onnxruntime when it loads (15x faster than tfjs-wasm here), else by tfjs's autodiff.
  f.evaluate = async (act) => {
    if (act.shape[0] % group !== 0) throw new Error(`diversity needs a batch that is a multiple of ${group}, got ${act.shape[0]}`);
    try {
      return await diversityOrt(group, act);
    } catch {
      return autodiff(f, act);
    }
  };
  return f;
}

/** Weighted sum of objectives, image by image (linear when every term is). */
export function sum(terms: Array<{ objective: Objective; weight: number }>): Objective {
  const f: Objective = (act) => tf.tidy(() => tf.addN(terms.map((t) => tf.mul(t.objective(act), t.weight))) as tf.Tensor1D);
  if (terms.every((t) => t.objective.linear)) {
    f.linear = (shape) => {
      const total = new Float32Array(shape.reduce((a, b) => a * b, 1));
      for (const t of terms) t.objective.linear!(shape).forEach((v, i) => (total[i] += t.weight * v));
      return total;
    };
  } else if (terms.every((t) => t.objective.linear || t.objective.evaluate)) {
    f.evaluate = async (act) => {
      const values = new Float32Array(act.shape[0]);
      const grad = new Float32Array(act.data.length);
      for (const t of terms) {
        let r: ObjectiveGradient;
        if (t.objective.linear) {
          const g = t.objective.linear(act.shape);
          r = { values: linearValues(act, g), grad: g };
        } else {
          r = await t.objective.evaluate!(act);
        }
        r.values.forEach((v, i) => (values[i] += t.weight * v));
        r.grad.forEach((v, i) => (grad[i] += t.weight * v));
      }
      return { values, grad };
    };
  }
  return f;
}

export interface ObjectiveOptions {
  /** Optimize post-ReLU values (default: pre-ReLU, which keeps a gradient where the unit is off). */
  relu?: boolean;
  diversityWeight?: number;
  diversityGroup?: number;
}

export const DIVERSITY_WEIGHT = 100;
export const DIVERSITY_GROUP = 4;

/** The named objective for a batch whose image i shows units[i]. */
export function objectiveFor(name: ObjectiveName, units: number[], opts: ObjectiveOptions = {}): Objective {
  switch (name) {
    case 'channel':
      return channel(units, opts);
    case 'neuron':
      return neuron(units, opts);
    case 'negative':
      return negative(units, opts);
    case 'diversity':
      return sum([
        { objective: channel(units, opts), weight: 1 },
        { objective: diversityPenalty(opts.diversityGroup ?? DIVERSITY_GROUP), weight: opts.diversityWeight ?? DIVERSITY_WEIGHT },
      ]);
  }
}
