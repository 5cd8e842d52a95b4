// Fourier parametrization (Lucid's fft_image): the optimizer moves a real and an imaginary spectrum per
// channel, scaled by 1/f^decay so that low frequencies dominate; the image is their inverse real DFT.
// The inverse DFT is written as real matrix products (separable), which every backend runs fast and
// whose adjoints are the transposed products; tfjs has no IRFFT kernel on wasm.
import * as tf from '@tensorflow/tfjs';
import { gaussian } from './random.ts';

/** numpy.fft.fftfreq(n) (d = 1). */
export function fftfreq(n: number): number[] {
  return Array.from({ length: n }, (_, i) => (i < Math.ceil(n / 2) ? i : i - n) / n);
}

/** sqrt(fy^2 + fx^2) on the rfft2d grid [h, w/2+1], as Lucid's rfft2d_freqs. */
export function rfft2dFreqs(h: number, w: number): Float32Array {
  const fy = fftfreq(h);
  const wl = Math.floor(w / 2) + 1;
  const out = new Float32Array(h * wl);
  for (let y = 0; y < h; y++) for (let x = 0; x < wl; x++) out[y * wl + x] = Math.hypot(fy[y], x / w);
  return out;
}

/** 1 / max(f, 1/max(h, w))^decay: the spectrum's per-frequency scale. */
export function spectrumScale(h: number, w: number, decay = 1): Float32Array {
  const floor = 1 / Math.max(h, w);
  return rfft2dFreqs(h, w).map((f) => 1 / Math.max(f, floor) ** decay);
}

export interface IdftMatrices<T> {
  /** cos/sin(2 pi k y / h), [k, y] (symmetric): the column (complex) inverse DFT. */
  ch: T;
  sh: T;
  /** c_l cos/sin(2 pi l x / w) / sqrt(h w), [l, x]: the row inverse real DFT with Hermitian weights. */
  cw: T;
  sw: T;
}

/**
 * Matrices of the orthonormal 2-D inverse real DFT (numpy irfft2 with norm='ortho'): Hermitian columns
 * l in 1..ceil(w/2)-1 count twice, DC (and Nyquist for even w) once, and their imaginary parts drop out
 * as in irfft.
 */
export function idftMatrixData(h: number, w: number): IdftMatrices<Float32Array> {
  const wl = Math.floor(w / 2) + 1;
  const ch = new Float32Array(h * h);
  const sh = new Float32Array(h * h);
  for (let k = 0; k < h; k++)
    for (let y = 0; y < h; y++) {
      const a = (2 * Math.PI * ((k * y) % h)) / h;
      ch[k * h + y] = Math.cos(a);
      sh[k * h + y] = Math.sin(a);
    }
  const norm = 1 / Math.sqrt(h * w);
  const cw = new Float32Array(wl * w);
  const sw = new Float32Array(wl * w);
  for (let l = 0; l < wl; l++) {
    const weight = l === 0 || (w % 2 === 0 && l === w / 2) ? 1 : 2;
    for (let x = 0; x < w; x++) {
      const a = (2 * Math.PI * ((l * x) % w)) / w;
      cw[l * w + x] = weight * Math.cos(a) * norm;
      sw[l * w + x] = weight * Math.sin(a) * norm;
    }
  }
  return { ch, sh, cw, sw };
}

/** The same matrices as tfjs tensors. */
export function idftMatrices(h: number, w: number): IdftMatrices<tf.Tensor2D> {
  const d = idftMatrixData(h, w);
  const wl = Math.floor(w / 2) + 1;
  return { ch: tf.tensor2d(d.ch, [h, h]), sh: tf.tensor2d(d.sh, [h, h]), cw: tf.tensor2d(d.cw, [wl, w]), sw: tf.tensor2d(d.sw, [wl, w]) };
}

/**
 * Inverse real 2-D DFT of spectra [b, h, wl] (real, imag) -> images [b, h, w], orthonormal.
 * Step 1 along y (complex): Z = X e^{+2 pi i k y / h}; step 2 along x (real part, Hermitian weights).
 */
export function irfft2d(re: tf.Tensor3D, im: tf.Tensor3D, m: IdftMatrices<tf.Tensor2D>): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, h, wl] = re.shape;
    const w = m.cw.shape[1];
    // [b, h, wl] -> [b*wl, h]: contract k with ch[k, y].
    const toRows = (t: tf.Tensor3D) => tf.reshape(tf.transpose(t, [0, 2, 1]), [b * wl, h]);
    const xr = toRows(re);
    const xi = toRows(im);
    const zr = tf.sub(tf.matMul(xr, m.ch), tf.matMul(xi, m.sh));
    const zi = tf.add(tf.matMul(xr, m.sh), tf.matMul(xi, m.ch));
    // [b*wl, y] -> [b*h, wl]: contract l with cw[l, x].
    const back = (t: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(t, [b, wl, h]), [0, 2, 1]), [b * h, wl]);
    const img = tf.sub(tf.matMul(back(zr), m.cw), tf.matMul(back(zi), m.sw));
    return tf.reshape(img, [b, h, w]);
  });
}

/** [2, n * 3, h, w/2+1]: the real parts of every image's three channel spectra, then the imaginary parts. */
export function spectrumShape(n: number, h: number, w: number): [number, number, number, number] {
  return [2, n * 3, h, Math.floor(w / 2) + 1];
}

/**
 * Initial spectra of n images of size h x w, N(0, sd); `init(i)` gives image i's random source, so that
 * each image's start depends only on its own seed (not on what else shares the batch).
 */
export function initSpectrum(n: number, h: number, w: number, init: (i: number) => () => number, sd = 0.01): Float32Array {
  const per = 3 * h * (Math.floor(w / 2) + 1);
  const out = new Float32Array(2 * n * per);
  for (let i = 0; i < n; i++) {
    // Lucid draws [2, ch, h, wl]: all real parts, then all imaginary parts.
    const g = gaussian(init(i), 2 * per, sd);
    out.set(g.subarray(0, per), i * per);
    out.set(g.subarray(per), n * per + i * per);
  }
  return out;
}
