// MACO's fixed magnitude: the mean |2-D real DFT| of natural images per decorrelated colour channel, at
// the visualization's size, computed from the atlas's own dataset (Horama ships ImageNet's). Images are
// decoded as everywhere else (model/image.ts: short side resized, centre crop, here to the visualization
// size), scaled to [0, 1], taken to the decorrelated basis (the inverse of color.ts's matrix, the basis
// MACO's phase lives in), and transformed with the orthonormal DFT (param.ts's inverse's convention).
// The result is cached under <out>/.cache/, keyed like the dataset stage's cache (dataset/cache.ts): the
// dataset digest, the size, the image count, the decoding and this module's code version.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { codeGraphs } from '../code-version.ts';
import { writeFileAtomic } from '../fsutil.ts';
import { loadImage, RESIZE_SHORT_SIDE } from '../model/image.ts';
import { cacheDir } from '../paths.ts';
import { DECORRELATED_TO_RGB } from './color.ts';

export const SPECTRUM_SCHEMA = 1;

/** The 3x3 inverse of DECORRELATED_TO_RGB (row-major, rgb = t @ M), so that t = rgb @ inverse. */
export function rgbToDecorrelated(m: ArrayLike<number> = DECORRELATED_TO_RGB): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = Array.from(m);
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  const adj = [e * i - f * h, c * h - b * i, b * f - c * e, f * g - d * i, a * i - c * g, c * d - a * f, d * h - e * g, b * g - a * h, a * e - b * d];
  return Float64Array.from(adj, (v) => v / det);
}

/** Per length n: exp(-2 pi i k / n) for k < n, and scratch lines (allocated once: this runs 10^6 times). */
const tables = new Map<number, { cos: Float64Array; sin: Float64Array; xr: Float64Array; xi: Float64Array; yr: Float64Array; yi: Float64Array }>();

function tableOf(n: number) {
  let t = tables.get(n);
  if (!t) {
    const a = Float64Array.from({ length: n }, (_, k) => (-2 * Math.PI * k) / n);
    t = { cos: a.map(Math.cos), sin: a.map(Math.sin), xr: new Float64Array(n), xi: new Float64Array(n), yr: new Float64Array(n), yi: new Float64Array(n) };
    tables.set(n, t);
  }
  return t;
}

/** In-place complex DFT of length n along a strided line: radix-2 FFT for powers of two, else the direct sum. */
function dft1(re: Float64Array, im: Float64Array, offset: number, stride: number, n: number): void {
  const { cos, sin, xr, xi, yr, yi } = tableOf(n);
  if ((n & (n - 1)) === 0) {
    // Iterative Cooley-Tukey: bit-reversed copy, then butterflies with the table's twiddles.
    for (let i = 0, j = 0; i < n; i++) {
      yr[j] = re[offset + i * stride];
      yi[j] = im[offset + i * stride];
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let s = 0; s < n; s += len)
        for (let k = 0; k < half; k++) {
          const c = cos[k * step];
          const sn = sin[k * step];
          const p = s + k;
          const q = p + half;
          const tr = yr[q] * c - yi[q] * sn;
          const ti = yr[q] * sn + yi[q] * c;
          yr[q] = yr[p] - tr;
          yi[q] = yi[p] - ti;
          yr[p] += tr;
          yi[p] += ti;
        }
    }
  } else {
    for (let k = 0; k < n; k++) {
      xr[k] = re[offset + k * stride];
      xi[k] = im[offset + k * stride];
    }
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const a = (k * t) % n;
        sr += xr[t] * cos[a] - xi[t] * sin[a];
        si += xr[t] * sin[a] + xi[t] * cos[a];
      }
      yr[k] = sr;
      yi[k] = si;
    }
  }
  for (let k = 0; k < n; k++) {
    re[offset + k * stride] = yr[k];
    im[offset + k * stride] = yi[k];
  }
}

/** |rfft2| of a real plane [h, w] -> [h, w/2+1], orthonormal (numpy's norm='ortho'). */
export function rfft2Magnitude(plane: ArrayLike<number>, h: number, w: number): Float64Array {
  const wl = Math.floor(w / 2) + 1;
  const re = Float64Array.from(plane);
  const im = new Float64Array(h * w);
  // Two real rows per complex transform: z = a + i b gives A[l] = (Z[l] + conj Z[-l]) / 2 and
  // B[l] = (Z[l] - conj Z[-l]) / 2i; only l < wl is kept (the column transforms read no more).
  for (let y = 0; y + 1 < h; y += 2) {
    const a = y * w;
    const b = a + w;
    for (let x = 0; x < w; x++) im[a + x] = re[b + x];
    dft1(re, im, a, 1, w);
    for (let l = wl - 1; l >= 0; l--) {
      const m = (w - l) % w;
      const zr = re[a + l];
      const zi = im[a + l];
      const cr = re[a + m];
      const ci = -im[a + m];
      re[b + l] = (zi - ci) / 2;
      im[b + l] = (cr - zr) / 2;
      re[a + l] = (zr + cr) / 2;
      im[a + l] = (zi + ci) / 2;
    }
  }
  if (h % 2) dft1(re, im, (h - 1) * w, 1, w);
  for (let l = 0; l < wl; l++) dft1(re, im, l, w, h);
  const norm = 1 / Math.sqrt(h * w);
  const out = new Float64Array(h * wl);
  for (let k = 0; k < h; k++)
    for (let l = 0; l < wl; l++) {
      const [r, i] = [re[k * w + l], im[k * w + l]];
      out[k * wl + l] = Math.sqrt(r * r + i * i) * norm;
    }
  return out;
}

/** Adds image `rgb` (interleaved, 0..255, size x size)'s three decorrelated magnitudes into `sum` [3, size, wl]. */
export function addImageMagnitude(sum: Float64Array, rgb: ArrayLike<number>, size: number): void {
  const inv = rgbToDecorrelated();
  const wl = Math.floor(size / 2) + 1;
  for (let k = 0; k < 3; k++) {
    const plane = new Float64Array(size * size);
    for (let p = 0; p < size * size; p++) plane[p] = (rgb[3 * p] * inv[k] + rgb[3 * p + 1] * inv[3 + k] + rgb[3 * p + 2] * inv[6 + k]) / 255;
    const mag = rfft2Magnitude(plane, size, size);
    for (let q = 0; q < size * wl; q++) sum[k * size * wl + q] += mag[q];
  }
}

/** The mean magnitude [3, size, size/2+1] over image files (decoded at `size`); unreadable files are skipped. */
export async function datasetMagnitude(files: string[], size: number, onProgress?: (done: number, total: number) => void): Promise<{ magnitude: Float32Array; images: number; skipped: string[] }> {
  const sum = new Float64Array(3 * size * (Math.floor(size / 2) + 1));
  const skipped: string[] = [];
  let used = 0;
  const decode = (i: number) => Promise.all(files.slice(i, i + 8).map((f) => loadImage(f, size).catch(() => (skipped.push(f), null))));
  // The next batch decodes (sharp's threads) while this one is transformed (this thread).
  let next = decode(0);
  for (let i = 0; i < files.length; i += 8) {
    const batch = await next;
    if (i + 8 < files.length) next = decode(i + 8);
    for (const img of batch) {
      if (!img) continue;
      addImageMagnitude(sum, img.data, size);
      used++;
    }
    onProgress?.(Math.min(files.length, i + 8), files.length);
  }
  if (!used) throw new Error(`no readable image among ${files.length} for MACO's magnitude spectrum`);
  return { magnitude: Float32Array.from(sum, (v) => v / used), images: used, skipped };
}

export interface SpectrumKeyParts {
  datasetDigest: string;
  size: number;
  /** The dataset's image count (what the digest covers). */
  images: number;
}

/** This module's code version (code-version.ts): an edit to how the spectrum is computed invalidates old records. */
export function spectrumCodeVersion(): string {
  return codeGraphs({ spectrum: ['generator/optvis/maco-spectrum.ts'] }).spectrum.version;
}

export function spectrumKey(p: SpectrumKeyParts): string {
  const parts = { ...p, resizeShortSide: RESIZE_SHORT_SIDE, code: spectrumCodeVersion() };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

const SpectrumRecord = z.object({
  schema: z.literal(SPECTRUM_SCHEMA),
  key: z.string(),
  dataset: z.string(),
  size: z.number().int().positive(),
  /** Images averaged (the dataset's, less unreadable ones). */
  images: z.number().int().positive(),
  /** float32 little-endian [3, size, size/2+1], base64. */
  magnitude: z.string(),
});

function recordPath(out: string, size: number, key: string): string {
  return path.join(cacheDir(out), `maco-spectrum-${size}-${key.slice(0, 16)}.json`);
}

export interface MacoSpectrum {
  magnitude: Float32Array;
  /** The cache key: what the magnitude is a function of (recorded in provenance). */
  key: string;
  images: number;
  cached: boolean;
}

/** The dataset's magnitude spectrum at `size`: from the cache under `out`, else computed and cached. */
export async function macoMagnitude(
  out: string,
  dataset: { digest: string; files: string[] },
  size: number,
  onProgress?: (done: number, total: number) => void,
): Promise<MacoSpectrum> {
  const key = spectrumKey({ datasetDigest: dataset.digest, size, images: dataset.files.length });
  const file = recordPath(out, size, key);
  const expected = 3 * size * (Math.floor(size / 2) + 1);
  if (existsSync(file)) {
    try {
      const rec = SpectrumRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
      const bytes = Buffer.from(rec.magnitude, 'base64');
      const magnitude = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      if (rec.key === key && magnitude.length === expected) return { magnitude, key, images: rec.images, cached: true };
    } catch {
      // A stale, foreign or corrupt record is a miss.
    }
  }
  const { magnitude, images } = await datasetMagnitude(dataset.files, size, onProgress);
  const b64 = Buffer.from(magnitude.buffer, magnitude.byteOffset, magnitude.byteLength).toString('base64');
  writeFileAtomic(file, JSON.stringify({ schema: SPECTRUM_SCHEMA, key, dataset: dataset.digest, size, images, magnitude: b64 }));
  return { magnitude, key, images, cached: false };
}
