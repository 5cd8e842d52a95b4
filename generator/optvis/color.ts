// Decorrelated colour (Lucid/Lucent): the optimizer works in a space whose axes are the principal
// components of natural-image colour, then a sigmoid maps to valid RGB in [0, 1].
import * as tf from '@tensorflow/tfjs';

/** Square root of ImageNet's colour correlation (Lucid's color_correlation_svd_sqrt). */
export const COLOR_CORRELATION_SVD_SQRT = [
  [0.26, 0.09, 0.02],
  [0.27, 0.0, -0.05],
  [0.27, -0.09, 0.03],
];

/** Largest column norm of that matrix (0.46195...), by which Lucid normalizes it. */
export const MAX_COLUMN_NORM = Math.max(
  ...[0, 1, 2].map((j) => Math.hypot(...COLOR_CORRELATION_SVD_SQRT.map((row) => row[j]))),
);

/**
 * The one colour matrix both image sides use: 3x3 row-major with [k][c] = M[c][k] / maxnorm, so that
 * rgb = t @ matrix (t's last axis holds the decorrelated components), i.e. t_flat @ M^T as in Lucid.
 */
export const DECORRELATED_TO_RGB: Float32Array = Float32Array.from({ length: 9 }, (_, i) => COLOR_CORRELATION_SVD_SQRT[i % 3][Math.floor(i / 3)] / MAX_COLUMN_NORM);

/** rgb = t @ DECORRELATED_TO_RGB on the last axis. */
export function decorrelatedToRgb(t: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const m = tf.tensor2d(DECORRELATED_TO_RGB, [3, 3]);
    const [n, h, w] = t.shape;
    return tf.reshape(tf.matMul(tf.reshape(t, [-1, 3]), m), [n, h, w, 3]);
  });
}

/** Decorrelated colour, then sigmoid into [0, 1]. */
export function toValidRgb(t: tf.Tensor4D): tf.Tensor4D {
  return tf.sigmoid(decorrelatedToRgb(t));
}
