import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fftfreq, idftMatrices, initSpectrum, irfft2d, rfft2dFreqs, spectrumScale } from '../../generator/optvis/param.ts';
import { TfjsImageModel } from '../../generator/optvis/image-model.ts';
import { prng } from '../../generator/optvis/random.ts';
import { randomArray } from '../helpers/h5.ts';

/** Orthonormal forward rfft2 of a real image, written out as complex sums (independent of the code under test). */
function rfft2Ortho(img: Float32Array, h: number, w: number): { re: Float32Array; im: Float32Array } {
  const wl = Math.floor(w / 2) + 1;
  const re = new Float32Array(h * wl);
  const im = new Float32Array(h * wl);
  const norm = 1 / Math.sqrt(h * w);
  for (let k = 0; k < h; k++)
    for (let l = 0; l < wl; l++) {
      let sr = 0;
      let si = 0;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const a = -2 * Math.PI * ((k * y) / h + (l * x) / w);
          sr += img[y * w + x] * Math.cos(a);
          si += img[y * w + x] * Math.sin(a);
        }
      re[k * wl + l] = sr * norm;
      im[k * wl + l] = si * norm;
    }
  return { re, im };
}

describe('Fourier parametrization', () => {
  it('fftfreq and the frequency grid match numpy', () => {
    expect(fftfreq(5)).toEqual([0, 0.2, 0.4, -0.4, -0.2]);
    expect(fftfreq(4)).toEqual([0, 0.25, -0.5, -0.25]);
    const f = rfft2dFreqs(4, 4); // [4, 3]
    expect(f[0]).toBe(0);
    expect(f[1 * 3 + 2]).toBeCloseTo(Math.hypot(0.25, 0.5), 6);
    expect(spectrumScale(4, 8)[0]).toBe(8); // DC: 1 / (1/max(h, w))
  });

  for (const [h, w] of [[8, 8], [6, 5], [7, 10]]) {
    it(`irfft2d inverts an orthonormal rfft2 of a real ${h}x${w} image`, () => {
      const img = randomArray(h * w, h * 31 + w, 1);
      const { re, im } = rfft2Ortho(img, h, w);
      const wl = Math.floor(w / 2) + 1;
      const m = idftMatrices(h, w);
      const out = irfft2d(tf.tensor3d(re, [1, h, wl]), tf.tensor3d(im, [1, h, wl]), m).dataSync();
      img.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 4));
    });
  }

  it('ignores the imaginary part of the DC column, as irfft does', () => {
    const m = idftMatrices(4, 4);
    const re = tf.zeros([1, 4, 3]) as tf.Tensor3D;
    const im = tf.tensor3d([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 4, 3]);
    expect(Math.max(...irfft2d(re, im, m).dataSync().map(Math.abs))).toBeLessThan(1e-6);
  });

  it('starts each image from its own seed, whatever else is in the batch', async () => {
    const one = initSpectrum(1, 16, 16, () => prng(7));
    const two = initSpectrum(2, 16, 16, (i) => prng(i === 0 ? 3 : 7));
    const per = 3 * 16 * 9;
    expect(Array.from(two.subarray(per, 2 * per))).toEqual(Array.from(one.subarray(0, per))); // real parts
    expect(Array.from(two.subarray(3 * per))).toEqual(Array.from(one.subarray(per))); // imaginary parts
    // N(0, 0.01) spectra, 1/f scaling, /4, sigmoid: a small, smooth start around grey.
    const model = new TfjsImageModel(1, 16, 1);
    const rgb = await model.forward(one);
    expect(Math.max(...rgb.map((v) => Math.abs(v - 0.5)))).toBeLessThan(0.15);
    model.dispose();
  });
});
