// Objectives (Lucid/Lucent): what gradient ascent maximizes, per image of a batch in which image i
// belongs to unit units[i]. They receive the layer's pre-ReLU activation [N, h, w, C] and return one
// value per image, so that many units can be optimized in one batch.
import * as tf from '@tensorflow/tfjs';
import { errorLine, warnFallback } from '../log.ts';
import type { Objective } from '../model/engine.ts';
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
function unitGradient(units: number[], weight: number, positions: (h: number, w: number) => number[]): NonNullable<Objective['linear']> {
  return (shape, channels) => {
    const [n, h, w, c] = spatial(shape);
    if (n !== units.length) throw new Error(`objective for ${units.length} images applied to a batch of ${n}`);
    // On `channels` alone: the whole shape's gradient is mostly zeros (at 140 px, block1_conv2's is 20 MB,
    // 60-100 ms to allocate each time a render meets a new input size), of which the engine keeps only these.
    const k = channels?.length ?? c;
    const column = units.map((u) => (channels ? channels.indexOf(u) : u));
    const missing = units.find((_, i) => column[i] < 0);
    if (missing !== undefined) throw new Error(`unit ${missing} is not among the channels asked for (${channels!.join(', ')})`);
    const g = new Float32Array(n * h * w * k);
    const ps = positions(h, w);
    for (let i = 0; i < n; i++) for (const p of ps) g[(i * h * w + p) * k + column[i]] = weight;
    return g;
  };
}

/** A flat activation [N, units] (logits) as [N, 1, 1, units]: one position. */
const spatial = (shape: number[]): number[] => (shape.length === 2 ? [shape[0], 1, 1, shape[1]] : shape);

/** The distinct units, ascending: the channels a unit objective's gradient touches. */
const channelsOf = (units: number[]) => [...new Set(units)].sort((a, b) => a - b);

const allPositions = (h: number, w: number) => Array.from({ length: h * w }, (_, p) => p);
const centre = (h: number, w: number) => [Math.floor(h / 2) * w + Math.floor(w / 2)];

/**
 * With `relu`, the objective reads the post-ReLU activation (`postRelu`), in which it is linear too: the
 * engine then differentiates through the layer's own ReLU, on the same pruned graphs. Its tfjs function
 * applies the ReLU itself, so it also gives the right value on a pre-ReLU activation.
 */
function declareLinear(f: Objective, units: number[], opts: { relu?: boolean }, linear: NonNullable<Objective['linear']>): Objective {
  f.linear = linear;
  f.channels = channelsOf(units);
  if (opts.relu) f.postRelu = true;
  return f;
}

/** Mean of each image's unit over all positions. */
export function channel(units: number[], opts: { relu?: boolean } = {}, sign = 1): Objective {
  const f: Objective = (act) =>
    tf.tidy(() => {
      const a = opts.relu ? tf.relu(act) : act;
      const mean = tf.mean(tf.sum(tf.mul(a, unitMask(units, act.shape[3]!)), 3), [1, 2]);
      return (sign === 1 ? mean : tf.mul(mean, sign)) as tf.Tensor1D;
    });
  return declareLinear(f, units, opts, (shape, channels) => unitGradient(units, sign / (spatial(shape)[1] * spatial(shape)[2]), allPositions)(shape, channels));
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
  return declareLinear(f, units, opts, unitGradient(units, 1, centre));
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
  // On onnxruntime when it loads (diversity-ort.ts: about 6x faster per step here), else by tfjs's autodiff.
  // On the engine's device when it says one (the Gram products are the costliest part of a step after the network).
  f.evaluate = async (act, where) => {
    if (act.shape[0] % group !== 0) throw new Error(`diversity needs a batch that is a multiple of ${group}, got ${act.shape[0]}`);
    try {
      return await diversityOrt(group, act, where?.device);
    } catch (e) {
      warnFallback(`the onnxruntime diversity graph failed (${errorLine(e)})`, "tfjs's autodiff for the diversity objective");
      return autodiff(f, act);
    }
  };
  return f;
}

/**
 * Whether a recipe's `relu` applies to the objective: to channel and neuron, whose silent units render.ts
 * redirects to the pre-ReLU gradient. Not to `negative`, which minimizes: post-ReLU, a unit that is off is
 * already at its minimum, so the image would not move; nor to `diversity`, whose group's values say nothing
 * of one silent image.
 */
export const optimizesPostRelu = (objective: ObjectiveName, relu: boolean | undefined): boolean => !!relu && (objective === 'channel' || objective === 'neuron');

export interface ObjectiveOptions {
  /** Optimize post-ReLU values (default: pre-ReLU, which keeps a gradient where the unit is off). */
  relu?: boolean;
  /** The diversity penalty's weight relative to the group's channel objective (see `diversity`). */
  diversityWeight?: number;
  diversityGroup?: number;
}

/** Chosen by eye on block3_conv4:166 at 256 steps: at 0.3 the four images were alike; at 1 one differed;
 * at 2 four distinct facets (ring lattices, rainbow arcs, curls), three of them at 70-98% of the channel
 * objective; at 3 two of them fell below 40%. */
export const DIVERSITY_WEIGHT = 2;
export const DIVERSITY_GROUP = 4;

/**
 * Lucid's diversity objective: the channel objective plus the diversity penalty, weighted by `weight`
 * times the mean |channel value| of the group (a constant each step). Lucid's absolute weight (100) was
 * tuned for InceptionV1; VGG19's activations on caffe-scaled input are far larger (block3_conv4 reaches
 * channel means of 10^4), and with it the four images of a unit came out nearly identical.
 */
export function diversity(units: number[], opts: ObjectiveOptions = {}): Objective {
  const group = opts.diversityGroup ?? DIVERSITY_GROUP;
  const weight = opts.diversityWeight ?? DIVERSITY_WEIGHT;
  const ch = channel(units, opts);
  const penalty = diversityPenalty(group);
  /** weight x mean |channel value| of each image's group, per image. */
  const scales = (values: Float32Array) =>
    values.map((_, i) => {
      const first = i - (i % group);
      let s = 0;
      for (let j = first; j < first + group; j++) s += Math.abs(values[j]);
      return (weight * s) / group;
    });
  const f: Objective = (act) =>
    tf.tidy(() => {
      const c = ch(act);
      return tf.add(c, tf.mul(tf.tensor1d(scales(c.dataSync() as Float32Array)), penalty(act))) as tf.Tensor1D;
    });
  if (ch.postRelu) f.postRelu = true;
  f.evaluate = async (act, where) => {
    const c = ch.linear ? { values: linearValues(act, ch.linear(act.shape)), grad: ch.linear(act.shape) } : autodiff(ch, act);
    const p = await penalty.evaluate!(act, where);
    const s = scales(c.values);
    const per = act.data.length / act.shape[0];
    const grad = c.grad.map((v, k) => v + s[Math.floor(k / per)] * p.grad[k]);
    return { values: c.values.map((v, i) => v + s[i] * p.values[i]), grad };
  };
  return f;
}

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
      return diversity(units, opts);
  }
}
