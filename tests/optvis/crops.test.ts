// MACO's crops (resize by averaged bilinear samples, adjoint, noise, draws) and its importance maps.
import { describe, expect, it } from 'vitest';
import { cropTransform, planCrop, sampleCrops } from '../../generator/optvis/crops.ts';
import sharp from 'sharp';
import { encodeGrayPng, ImportanceAccumulator, percentile } from '../../generator/optvis/importance.ts';
import { prng } from '../../generator/optvis/random.ts';
import { warpAdjoint, warpForward } from '../../generator/optvis/transform.ts';

const random = (n: number, seed: number) => {
  const r = prng(seed);
  return Float32Array.from({ length: n }, () => r());
};
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('MACO crops', () => {
  it('the whole image at its own size is the image', () => {
    const img = random(12 * 12 * 3, 1);
    const plan = planCrop(12, { cx: 0.5, cy: 0.5, side: 1 }, 12);
    expect(plan.taps).toBe(4);
    warpForward(plan, img, 1).forEach((v, i) => expect(v).toBeCloseTo(img[i], 6));
  });

  it('a crop twice the input averages 2 x 2 samples per pixel (no aliasing): a 1-px checkerboard turns grey', () => {
    const size = 16;
    const img = Float32Array.from({ length: size * size * 3 }, (_, k) => (Math.floor(k / 3 / size) + Math.floor(k / 3) % size) % 2);
    const plan = planCrop(size, { cx: 0.5, cy: 0.5, side: 1 }, 8);
    expect(plan.taps).toBe(16);
    warpForward(plan, img, 1).forEach((v) => expect(v).toBeCloseTo(0.5, 6));
  });

  it('reads mid-grey beyond the image, and a shifted crop reads the shifted pixels', () => {
    const size = 10;
    const img = random(size * size * 3, 2);
    // The left half of this crop lies beyond the image.
    const out = warpForward(planCrop(size, { cx: 0, cy: 0.5, side: 1 }, size), img, 1);
    for (let y = 0; y < size; y++) {
      expect(out[(y * size + 1) * 3]).toBe(0.5);
      // Output column 5 + j is image column j.
      expect(out[(y * size + 7) * 3 + 1]).toBeCloseTo(img[(y * size + 2) * 3 + 1], 6);
    }
  });

  it('the adjoint is the transpose (a dot-product test), for crops up- and downscaled, partly outside', () => {
    const size = 20;
    for (const box of [{ cx: 0.4, cy: 0.6, side: 0.3 }, { cx: 0.2, cy: 0.9, side: 0.9 }]) {
      const plan = planCrop(size, box, 12);
      const x = random(2 * size * size * 3, 3);
      const y = random(2 * 12 * 12 * 3, 4);
      // Linear part only: the pad's constant contributes to forward, not to the adjoint.
      const lin = warpForward({ ...plan, padValue: 0 }, x, 2);
      expect(dot(lin, y)).toBeCloseTo(dot(x, warpAdjoint(plan, y, 2)), 3);
    }
  });

  it('draws centres around the middle, sides in the box range; the same seed gives the same draws', () => {
    const cfg = { crops: 4000, box: [0.3, 0.5] as [number, number], noise: 0, input: 8 };
    const boxes = sampleCrops(prng(5), cfg);
    const mean = boxes.reduce((s, b) => s + b.cx, 0) / boxes.length;
    const sd = Math.sqrt(boxes.reduce((s, b) => s + (b.cx - mean) ** 2, 0) / boxes.length);
    expect(mean).toBeCloseTo(0.5, 1);
    expect(sd).toBeCloseTo(0.15, 1);
    expect(Math.min(...boxes.map((b) => b.side))).toBeGreaterThanOrEqual(0.3);
    expect(Math.max(...boxes.map((b) => b.side))).toBeLessThanOrEqual(0.5);
    expect(sampleCrops(prng(5), { ...cfg, crops: 3 })).toEqual(boxes.slice(0, 3));
  });

  it('k crops per image, view-major, the same crops and noise for every image; the adjoint sums the views', () => {
    const size = 16;
    const cfg = { crops: 3, box: [0.5, 0.9] as [number, number], noise: 0.05, input: 8 };
    const img = random(size * size * 3, 6);
    const two = new Float32Array(2 * img.length);
    two.set(img);
    two.set(img, img.length);
    const views = cropTransform(size, cfg, 0).views(two, 2);
    const per = 8 * 8 * 3;
    expect(views.x).toHaveLength(3 * 2 * per);
    expect(views.side).toBe(8);
    for (let j = 0; j < 3; j++) expect(Array.from(views.x.subarray((2 * j + 1) * per, (2 * j + 2) * per))).toEqual(Array.from(views.x.subarray(2 * j * per, (2 * j + 1) * per)));
    // Noise: the views differ from the noiseless crops by about the noise's spread (N(0, s) + U(-s/2, s/2)).
    const clean = cropTransform(size, { ...cfg, noise: 0 }, 0).views(two, 2).x;
    const diff = views.x.map((v, i) => v - clean[i]);
    const rms = Math.sqrt(dot(diff, diff) / diff.length);
    expect(rms).toBeCloseTo(0.05 * Math.sqrt(1 + 1 / 12), 2);
    const ones = new Float32Array(views.x.length).fill(1);
    const back = views.adjoint(ones);
    expect(back).toHaveLength(two.length);
    // Every view's weights sum to 1 per output pixel inside the image: the adjoint of ones sums to the in-image share of 3 x 8 x 8 x 3 x 2.
    expect(dot(back, new Float32Array(back.length).fill(1))).toBeLessThanOrEqual(3 * per * 2 + 1e-3);
    expect(dot(back, new Float32Array(back.length).fill(1))).toBeGreaterThan(0.5 * 3 * per * 2);
  });
});

describe('importance maps', () => {
  it('percentile interpolates linearly between ranks, as numpy', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5, 1, 4, 2, 3], 80)).toBeCloseTo(4.2, 12);
    expect(percentile([7], 80)).toBe(7);
  });

  it('accumulates |gradients|, averages channels, clips at the percentile, divides by the max', () => {
    const acc = new ImportanceAccumulator(2, 2);
    // Image 1, pixels 0..3: channel means 1, 2, 3, 10 after two steps.
    const step = new Float32Array(2 * 4 * 3);
    [1, 2, 3, 10].forEach((m, p) => step.set([m / 2, -m / 2, m / 2], 12 + 3 * p));
    acc.add(step);
    acc.add(step.map((v) => -v));
    const a = acc.alpha(1, 80);
    const clip = percentile([1, 2, 3, 10], 80); // 5.8
    expect(Array.from(a)).toEqual([1, 2, 3, clip].map((v) => Math.fround(v / clip)));
    expect(Array.from(acc.alpha(0, 80))).toEqual([0, 0, 0, 0]);
  });

  it('encodes a map as an 8-bit grayscale PNG, 0..1 -> 0..255', async () => {
    const png = await encodeGrayPng(Float32Array.of(0, 0.5, 1, 0.25), 2, 2);
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels, meta.depth, meta.space]).toEqual([2, 2, 1, 'uchar', 'b-w']);
    const { data } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual([0, 128, 255, 64]);
  });
});
