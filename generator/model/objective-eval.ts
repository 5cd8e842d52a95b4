// What an engine does with an objective when it has the activation as a typed array: tfjs's autodiff
// (the general case), or the values of a linear objective from its declared gradient.
import * as tf from '@tensorflow/tfjs';
import type { ActivationOptions, NdArray, Objective, ObjectiveGradient } from './engine.ts';

/** Values and gradient by tfjs's autodiff: what an engine does without a shortcut. */
export function autodiff(f: Objective, act: NdArray): ObjectiveGradient {
  return tf.tidy(() => {
    const a = tf.tensor(act.data, act.shape);
    let values: Float32Array = new Float32Array(0);
    const grad = tf.grad((t: tf.Tensor) => {
      const v = f(t);
      values = v.dataSync() as Float32Array;
      return tf.sum(v);
    })(a);
    return { values, grad: grad.dataSync() as Float32Array };
  });
}

/** Per-image values of a linear objective: sum over the image's activation times the gradient. */
export function linearValues(act: NdArray, grad: Float32Array): Float32Array {
  const n = act.shape[0];
  const per = act.data.length / n;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = i * per; p < (i + 1) * per; p++) if (grad[p] !== 0) s += act.data[p] * grad[p];
    out[i] = s;
  }
  return out;
}

/**
 * Whether inputGradient redirects silent views (ActivationOptions.redirect), checked once for every engine:
 * the views' values come from the linear objective's declared gradient, so other objectives are refused.
 */
export function redirects(objective: Objective, opts: ActivationOptions): boolean {
  if (!opts.redirect || opts.preRelu) return false;
  if (!objective.linear) throw new Error('a redirected ReLU gradient needs a linear objective (channel, neuron)');
  return true;
}
