// MACO (Fel et al. 2023): the magnitude spectrum from a dataset against a direct DFT, its cache; the
// phase-only image side against an independent tfjs implementation and finite differences; a MACO
// render's determinism.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../generator/model/engine.ts';
import { encodePng } from '../../generator/model/image.ts';
import { loadModel } from '../../generator/model/load.ts';
import { DECORRELATED_TO_RGB } from '../../generator/optvis/color.ts';
import { createMacoImageModel } from '../../generator/optvis/image-model.ts';
import { encodeGrayPng } from '../../generator/optvis/importance.ts';
import { datasetMagnitude, macoMagnitude, rgbToDecorrelated } from '../../generator/optvis/maco-spectrum.ts';
import { idftMatrices, irfft2d } from '../../generator/optvis/param.ts';
import { macoParam } from '../../generator/optvis/parts.ts';
import { prng } from '../../generator/optvis/random.ts';
import { render, type RenderRequest } from '../../generator/optvis/render.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

/** |DFT| of a real h x w plane by the O(n^4) definition, orthonormal, on the rfft grid [h, w/2+1]. */
function naiveMagnitude(plane: Float64Array, h: number, w: number): Float64Array {
  const wl = Math.floor(w / 2) + 1;
  const out = new Float64Array(h * wl);
  for (let k = 0; k < h; k++)
    for (let l = 0; l < wl; l++) {
      let re = 0;
      let im = 0;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const a = -2 * Math.PI * ((k * y) / h + (l * x) / w);
          re += plane[y * w + x] * Math.cos(a);
          im += plane[y * w + x] * Math.sin(a);
        }
      out[k * wl + l] = Math.hypot(re, im) / Math.sqrt(h * w);
    }
  return out;
}

/** A few size x size RGB PNGs of random bytes in a fresh folder; returns their files and bytes. */
async function syntheticDataset(size: number, count: number, seed: number): Promise<{ files: string[]; pixels: Uint8Array[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-maco-ds-'));
  const rand = prng(seed);
  const files: string[] = [];
  const pixels: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rand() * 256));
    const file = path.join(dir, `img${i}.png`);
    writeFileSync(file, await sharp(Buffer.from(bytes), { raw: { width: size, height: size, channels: 3 } }).png().toBuffer());
    files.push(file);
    pixels.push(bytes);
  }
  return { files, pixels };
}

describe("MACO's magnitude spectrum", () => {
  it('the decorrelating matrix inverts the colour matrix', () => {
    const inv = rgbToDecorrelated();
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) {
        const v = [0, 1, 2].reduce((s, k) => s + inv[r * 3 + k] * DECORRELATED_TO_RGB[k * 3 + c], 0);
        expect(v).toBeCloseTo(r === c ? 1 : 0, 6);
      }
  });

  // 8: the radix-2 FFT; 6: the direct DFT (any other size).
  for (const size of [8, 6]) {
    it(`is the mean |DFT| per decorrelated channel of the images, against the direct definition (${size} px)`, async () => {
      const { files, pixels } = await syntheticDataset(size, 3, size);
      const got = await datasetMagnitude(files, size);
      expect(got.images).toBe(3);
      const wl = Math.floor(size / 2) + 1;
      const inv = rgbToDecorrelated();
      const want = new Float64Array(3 * size * wl);
      for (const px of pixels)
        for (let k = 0; k < 3; k++) {
          const plane = Float64Array.from({ length: size * size }, (_, p) => (px[3 * p] * inv[k] + px[3 * p + 1] * inv[3 + k] + px[3 * p + 2] * inv[6 + k]) / 255);
          naiveMagnitude(plane, size, size).forEach((v, q) => (want[k * size * wl + q] += v / pixels.length));
        }
      expect(got.magnitude).toHaveLength(want.length);
      got.magnitude.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    });
  }

  it('is cached under <out>/.cache by dataset digest and size; a corrupt record is recomputed', async () => {
    const { files } = await syntheticDataset(8, 2, 3);
    const out = mkdtempSync(path.join(tmpdir(), 'atlas-maco-out-'));
    const first = await macoMagnitude(out, { digest: 'd1', files }, 8);
    expect(first.cached).toBe(false);
    const again = await macoMagnitude(out, { digest: 'd1', files }, 8);
    expect(again.cached).toBe(true);
    expect(Array.from(again.magnitude)).toEqual(Array.from(first.magnitude));
    expect(again.key).toBe(first.key);
    const other = await macoMagnitude(out, { digest: 'd2', files }, 8);
    expect(other.cached).toBe(false);
    expect(other.key).not.toBe(first.key);
    expect((await macoMagnitude(out, { digest: 'd1', files }, 6)).key).not.toBe(first.key);
    const records = readdirSync(path.join(out, '.cache')).filter((f) => f.startsWith('maco-spectrum-'));
    expect(records).toHaveLength(3);
    writeFileSync(path.join(out, '.cache', records.find((f) => f.includes(first.key.slice(0, 16)))!), '{"schema": 1, "key"');
    const recomputed = await macoMagnitude(out, { digest: 'd1', files }, 8);
    expect(recomputed.cached).toBe(false);
    expect(Array.from(recomputed.magnitude)).toEqual(Array.from(first.magnitude));
  });
});

/** MACO's image side written in tfjs (Horama's preconditioner), independent of the IR graph and the differentiator. */
function tfMaco(phase: tf.Tensor4D, magnitude: tf.Tensor3D, size: number): tf.Tensor4D {
  const standardize = (x: tf.Tensor4D) => {
    const count = x.shape[1]! * x.shape[2]! * x.shape[3]!;
    const c = tf.sub(x, tf.mean(x, [1, 2, 3], true));
    const sd = tf.sqrt(tf.div(tf.sum(tf.square(c), [1, 2, 3], true), count - 1));
    return tf.div(c, tf.add(sd, 1e-4)) as tf.Tensor4D;
  };
  const n = phase.shape[0];
  const wl = Math.floor(size / 2) + 1;
  const p = standardize(phase);
  const re = tf.reshape(tf.mul(tf.cos(p), magnitude), [n * 3, size, wl]) as tf.Tensor3D;
  const im = tf.reshape(tf.mul(tf.sin(p), magnitude), [n * 3, size, wl]) as tf.Tensor3D;
  const planes = standardize(tf.reshape(irfft2d(re, im, idftMatrices(size, size)), [n, 3, size, size]) as tf.Tensor4D);
  const nhwc = tf.transpose(planes, [0, 2, 3, 1]);
  return tf.sigmoid(tf.reshape(tf.matMul(tf.reshape(nhwc, [-1, 3]), tf.tensor2d(DECORRELATED_TO_RGB, [3, 3])), [n, size, size, 3])) as tf.Tensor4D;
}

describe("MACO's phase-only image side (onnxruntime, adjoint by the differentiator)", () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const size of [10, 9]) {
    it(`equals an independent tfjs implementation, forward and gradient (${size} px, 2 images)`, async () => {
      const n = 2;
      const wl = Math.floor(size / 2) + 1;
      const rand = prng(size);
      const magnitude = Float32Array.from({ length: 3 * size * wl }, () => 0.1 + rand());
      const { params, model } = await macoParam(n, size, magnitude, (i) => prng(100 + i));
      const rgb = await model.forward(params);
      const dRgb = Float32Array.from(rgb, () => rand() - 0.5);
      const grad = await model.backward(params, rgb, dRgb);
      const [ref, refGrad] = tf.tidy(() => {
        const mag = tf.tensor3d(magnitude, [3, size, wl]);
        const f = (x: tf.Tensor) => tf.sum(tf.mul(tfMaco(x as tf.Tensor4D, mag, size), tf.tensor4d(dRgb, [n, size, size, 3])));
        const x = tf.tensor4d(params, [n, 3, size, wl]);
        return [tfMaco(x, mag, size).dataSync(), tf.grad(f)(x).dataSync()];
      });
      // A real image, not a flat one: standardized planes through a sigmoid span most of (0, 1).
      expect(Math.max(...rgb) - Math.min(...rgb)).toBeGreaterThan(0.5);
      rgb.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 5));
      const scale = Math.max(...refGrad.map(Math.abs));
      grad.forEach((g, i) => expect(Math.abs(g - refGrad[i]) / scale).toBeLessThan(1e-4));
    });
  }

  it('its gradient matches finite differences of sum(rgb * r), one phase at a time', async () => {
    const size = 8;
    const wl = 5;
    const rand = prng(9);
    const magnitude = Float32Array.from({ length: 3 * size * wl }, () => 0.1 + rand());
    const { params: p0, model } = await macoParam(1, size, magnitude, () => prng(4));
    const r = Float32Array.from({ length: size * size * 3 }, () => rand() - 0.5);
    const f = async (p: Float32Array) => (await model.forward(p)).reduce((s, v, i) => s + v * r[i], 0);
    const g = await model.backward(p0, await model.forward(p0), r);
    const eps = 1e-2;
    // DC, low and high frequencies, each channel.
    for (const idx of [0, 3, 2 * wl + 1, size * wl + 7, 2 * size * wl + 3 * wl + 4, 3 * size * wl - 1]) {
      const plus = Float32Array.from(p0);
      const minus = Float32Array.from(p0);
      plus[idx] += eps;
      minus[idx] -= eps;
      expect(g[idx]).toBeCloseTo(((await f(plus)) - (await f(minus))) / (2 * eps), 3);
    }
  });

  it('rejects a magnitude of the wrong size', async () => {
    await expect(createMacoImageModel(1, 8, new Float32Array(10))).rejects.toThrow(/MACO magnitude of 10 values for 8 px images, expected 3 x 8 x 5/);
  });
});

describe('MACO render', () => {
  let engine: Engine;
  beforeAll(async () => {
    process.env.ATLAS_MODELS_DIR = path.join(SHARED_DIR, 'models');
    engine = (await loadModel({ engine: 'onnxruntime' })).engine;
  });

  const size = 32;
  const wl = 17;
  const rand = prng(1);
  const magnitude = Float32Array.from({ length: 3 * size * wl }, (_, i) => 1 / (1 + (i % (size * wl)) / 8) + 0.01 * rand());
  const base: Omit<RenderRequest, 'units' | 'imageIndex'> = {
    layer: 'block1_conv2', size, steps: 8, lr: 1, seed: 0, objective: 'channel', param: 'maco', magnitude, optimizer: 'nadam', importance: 80,
    crops: { crops: 2, box: [0.5, 0.8], noise: 0.01, input: 24 }, curveEvery: 4,
  };
  const sha = async (im: { pixels: Float32Array; importance?: Float32Array }) =>
    createHash('sha256').update(await encodePng(im.pixels, size, size)).update(await encodeGrayPng(im.importance!, size, size)).digest('hex');

  it('raises the unit, gives the same PNG bytes (image and importance) for the same seed whatever shares the batch, others for another seed', async () => {
    const alone = await render(engine, { ...base, units: [7], imageIndex: [0] });
    const shared = await render(engine, { ...base, units: [5, 7], imageIndex: [0, 0] });
    const other = await render(engine, { ...base, seed: 1, units: [7], imageIndex: [0] });
    const im = alone.images[0];
    expect(im.curvePre[im.curvePre.length - 1]).toBeGreaterThan(im.curvePre[0]);
    expect(im.importance).toHaveLength(size * size);
    expect(Math.max(...im.importance!)).toBe(1);
    // Clipped at the 80th percentile: at least a fifth of the pixels sit at the top.
    expect(im.importance!.filter((v) => v === 1).length).toBeGreaterThanOrEqual(0.2 * size * size);
    expect(await sha(shared.images[1])).toBe(await sha(im));
    expect(await sha(other.images[0])).not.toBe(await sha(im));
    expect(alone.imageModel).toBe('onnxruntime');
  });

  it('needs its magnitude', async () => {
    await expect(render(engine, { ...base, magnitude: undefined, units: [7], imageIndex: [0] })).rejects.toThrow(/needs its magnitude spectrum/);
  });
});
