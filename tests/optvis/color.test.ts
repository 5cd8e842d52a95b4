import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { COLOR_CORRELATION_SVD_SQRT, DECORRELATED_TO_RGB, decorrelatedToRgb, MAX_COLUMN_NORM, toValidRgb } from '../../generator/optvis/color.ts';

describe('decorrelated colour', () => {
  it('normalizes Lucid\'s matrix by its largest column norm (0.46195)', () => {
    expect(MAX_COLUMN_NORM).toBeCloseTo(0.46195, 5);
  });

  it('maps a unit vector on axis k to column k of the normalized matrix, then sigmoid', () => {
    for (let k = 0; k < 3; k++) {
      const t = tf.tensor4d([0, 1, 2].map((i) => (i === k ? 1 : 0)), [1, 1, 1, 3]);
      const rgb = decorrelatedToRgb(t).dataSync();
      for (let c = 0; c < 3; c++) expect(rgb[c]).toBeCloseTo(COLOR_CORRELATION_SVD_SQRT[c][k] / MAX_COLUMN_NORM, 5);
      const valid = toValidRgb(t).dataSync();
      for (let c = 0; c < 3; c++) expect(valid[c]).toBeCloseTo(1 / (1 + Math.exp(-rgb[c])), 5);
    }
  });

  it('keeps one matrix for both image sides: [k][c] = M[c][k] / maxnorm, row-major', () => {
    for (let k = 0; k < 3; k++) for (let c = 0; c < 3; c++) expect(DECORRELATED_TO_RGB[k * 3 + c]).toBeCloseTo(COLOR_CORRELATION_SVD_SQRT[c][k] / MAX_COLUMN_NORM, 6);
  });
});
