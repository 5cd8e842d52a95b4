// Fourier parametrization (Lucid's fft_image): the optimizer moves a real and an imaginary spectrum per
// channel, scaled by 1/f^decay so that low frequencies dominate; the image is their inverse real DFT.
// tfjs has no IRFFT kernel on wasm, so the inverse DFT is two real matrix products (separable), which
// run fast on every backend and are differentiated by tfjs like any matMul.
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

export interface IdftMatrices {
  /** cos/sin(2 pi k y / h), [k, y]: the column (complex) inverse DFT. */
  ch: tf.Tensor2D;
  sh: tf.Tensor2D;
  /** c_l cos/sin(2 pi l x / w) / sqrt(h w), [l, x]: the row inverse real DFT with Hermitian weights. */
  cw: tf.Tensor2D;
  sw: tf.Tensor2D;
}

/**
 * Matrices of the orthonormal 2-D inverse real DFT (numpy irfft2 with norm='ortho'): Hermitian columns
 * l in 1..ceil(w/2)-1 count twice, DC (and Nyquist for even w) once, and their imaginary parts drop out
 * as in irfft.
 */
export function idftMatrices(h: number, w: number): IdftMatrices {
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
  return {
    ch: tf.tensor2d(ch, [h, h]),
    sh: tf.tensor2d(sh, [h, h]),
    cw: tf.tensor2d(cw, [wl, w]),
    sw: tf.tensor2d(sw, [wl, w]),
  };
}

/**
 * Inverse real 2-D DFT of spectra [b, h, wl] (real, imag) -> images [b, h, w], orthonormal.
 * Step 1 along y (complex): Z = X e^{+2 pi i k y / h}; step 2 along x (real part, Hermitian weights).
 */
export function irfft2d(re: tf.Tensor3D, im: tf.Tensor3D, m: IdftMatrices): tf.Tensor3D {
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

export interface FourierParam {
  /** Trainable spectra, [n * 3, h, w/2+1] each. */
  variables: tf.Variable[];
  /** The decorrelated-space image [n, h, w, 3] (before colour and sigmoid). */
  image: () => tf.Tensor4D;
  dispose: () => void;
}

/**
 * n images of size h x w; `init(i)` gives image i's random source, so that each image's start depends
 * only on its own seed (not on what else shares the batch).
 */
export function fourierParam(n: number, h: number, w: number, init: (i: number) => () => number, opts: { sd?: number; decay?: number } = {}): FourierParam {
  const wl = Math.floor(w / 2) + 1;
  const per = 3 * h * wl;
  const reInit = new Float32Array(n * per);
  const imInit = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const rand = init(i);
    // Lucid draws [2, ch, h, wl]: all real parts, then all imaginary parts.
    const g = gaussian(rand, 2 * per, opts.sd ?? 0.01);
    reInit.set(g.subarray(0, per), i * per);
    imInit.set(g.subarray(per), i * per);
  }
  const toVariable = (values: Float32Array) => {
    const t = tf.tensor3d(values, [n * 3, h, wl]);
    const v = tf.variable(t);
    t.dispose();
    return v;
  };
  const re = toVariable(reInit);
  const im = toVariable(imInit);
  const scale = tf.keep(tf.tensor3d(spectrumScale(h, w, opts.decay ?? 1), [1, h, wl]));
  const m = idftMatrices(h, w);
  const image = () =>
    tf.tidy(() => {
      const planes = irfft2d(tf.mul(re, scale) as tf.Tensor3D, tf.mul(im, scale) as tf.Tensor3D, m); // [n*3, h, w]
      // Lucid divides the image by 4 so that the sigmoid starts near its linear part.
      return tf.div(tf.transpose(tf.reshape(planes, [n, 3, h, w]), [0, 2, 3, 1]), 4) as tf.Tensor4D;
    });
  return {
    variables: [re, im],
    image,
    dispose: () => {
      re.dispose();
      im.dispose();
      scale.dispose();
      for (const t of Object.values(m)) t.dispose();
    },
  };
}
