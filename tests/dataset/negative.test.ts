// Negative examples and silent units, checked independently: a small dataset of synthetic PNGs built here,
// `atlas examples --json` on it, and a brute-force recomputation through the engine (pre-ReLU, per image).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropBox } from '../../generator/dataset/crops.ts';
import type { UnitExamples } from '../../generator/dataset/types.ts';
import { loadImage } from '../../generator/model/image.ts';
import { getSpec, loadModel } from '../../generator/model/load.ts';
import { receptiveFields } from '../../generator/model/spec.ts';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';
import { tempDir } from './fixtures.ts';

process.env.ATLAS_MODELS_DIR ??= path.join(SHARED_DIR, 'models');

const LAYER = 'block1_conv1';
const K = 3;
const S = 224;

/** Synthetic 224 px images: 12 flat colours (on each, many units are silent) and 3 patterns. */
const IMAGES: Record<string, (x: number, y: number) => number[]> = {
  'pattern/checker.png': (x, y) => (((x >> 3) + (y >> 3)) % 2 ? [240, 240, 240] : [20, 20, 20]),
  'pattern/gradient.png': (x, y) => [x, y, 255 - x],
  'pattern/ring.png': (x, y) => (Math.abs(Math.hypot(x - 100, y - 130) - 50) < 4 ? [250, 250, 30] : [60, 60, 60]),
};
for (let i = 0; i < 12; i++) IMAGES[`plain/flat-${String(i).padStart(2, '0')}.png`] = () => [(i * 37) % 256, (i * 91 + 40) % 256, (i * 53 + 100) % 256];

interface Brute {
  rel: string;
  /** Per unit: pre-ReLU min and max over positions, and the first (row-major) position of the min. */
  min: number[];
  minPos: number[];
  max: number[];
}

let dataset: string;
let out: string;
let units: UnitExamples[];
let brute: Brute[];
let grid: [number, number];

beforeAll(async () => {
  dataset = tempDir('atlas-synth-');
  for (const [rel, colour] of Object.entries(IMAGES)) {
    const px = Buffer.alloc(S * S * 3);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) px.set(colour(x, y), (y * S + x) * 3);
    mkdirSync(path.join(dataset, path.dirname(rel)), { recursive: true });
    writeFileSync(path.join(dataset, rel), await sharp(px, { raw: { width: S, height: S, channels: 3 } }).png().toBuffer());
  }
  out = tempDir('atlas-out-');
  const r = await atlas(['examples', '--layer', LAYER, '--top', String(K), '--dataset', dataset, '--out', out, '--workers', '2', '--json']);
  expect(r.status, r.stderr).toBe(0);
  units = JSON.parse(r.stdout);

  const { engine } = await loadModel({});
  brute = [];
  for (const rel of Object.keys(IMAGES).sort()) {
    const img = await loadImage(path.join(dataset, rel), S);
    const act = (await engine.activations({ data: img.data, shape: [1, S, S, 3] }, [LAYER], { preRelu: true })).get(LAYER)!;
    const [, h, w, c] = act.shape;
    grid = [h, w];
    const b: Brute = { rel, min: [], minPos: [], max: [] };
    for (let u = 0; u < c; u++) {
      let min = Infinity;
      let at = 0;
      let max = -Infinity;
      for (let q = 0; q < h * w; q++) {
        const v = act.data[q * c + u];
        if (v < min) [min, at] = [v, q];
        if (v > max) max = v;
      }
      b.min.push(min);
      b.minPos.push(at);
      b.max.push(max);
    }
    brute.push(b);
  }
  engine.dispose();
}, 300_000);

describe(`negative examples of ${LAYER} on ${Object.keys(IMAGES).length} synthetic images`, () => {
  it('prints "negative" and "silent" in every unit record', () => {
    expect(units).toHaveLength(64);
    expect(Object.keys(units[0])).toEqual(['layer', 'unit', 'top', 'bottom', 'negative', 'classes', 'histogram', 'firing_rate', 'position_rate', 'silent', 'images', 'skipped']);
    expect(Object.keys(units[0].negative[0])).toEqual(['image', 'class', 'label', 'activation', 'x', 'y', 'crop']);
  });

  it('negative = the k images with the lowest pre-ReLU min, ascending, at the min position, for every unit', () => {
    for (const u of units) {
      const want = [...brute].sort((a, b) => a.min[u.unit] - b.min[u.unit] || (a.rel < b.rel ? -1 : 1)).slice(0, K);
      expect(u.negative.map((e) => e.image), `unit ${u.unit}`).toEqual(want.map((b) => b.rel));
      u.negative.forEach((e, i) => {
        expect(e.activation).toBeCloseTo(want[i].min[u.unit], 3);
        expect([e.x, e.y]).toEqual([want[i].minPos[u.unit] % grid[1], Math.floor(want[i].minPos[u.unit] / grid[1])]);
        expect(e.crop).toBe(`vgg19/${LAYER}/crops/${e.x}-${e.y}/${e.image.replace(/\.[^./]+$/, '')}.webp`);
      });
      for (let i = 1; i < u.negative.length; i++) expect(u.negative[i].activation).toBeGreaterThanOrEqual(u.negative[i - 1].activation);
    }
    // The quantity is pre-ReLU: somewhere it is below zero (a post-ReLU value never is).
    expect(units.some((u) => u.negative[0].activation < 0)).toBe(true);
  });

  it('negative crops are the receptive field at the min position', async () => {
    const rf = receptiveFields(getSpec('vgg19')).get(LAYER)!;
    for (const u of [units[0], units[17], units[63]]) {
      for (const e of u.negative) {
        const meta = await sharp(path.join(out, e.crop)).metadata();
        const box = cropBox(rf, e.x, e.y, S);
        expect([meta.width, meta.height]).toEqual([box.width, box.height]);
      }
    }
  });

  it('silent images are counted, listed nowhere, and get no crop', () => {
    const silentUnits = units.filter((u) => u.silent > K);
    // The flat images make many units silent on more than k images: the case the page must not fill with crops.
    expect(silentUnits.length).toBeGreaterThan(0);
    for (const u of units) {
      const silent = brute.filter((b) => Math.max(0, b.max[u.unit]) === 0).map((b) => b.rel);
      expect(u.silent, `unit ${u.unit}`).toBe(silent.length);
      expect(u.firing_rate).toBeCloseTo(1 - silent.length / brute.length, 10);
      for (const e of [...u.top, ...u.bottom]) {
        expect(e.activation).toBeGreaterThan(0);
        expect(silent).not.toContain(e.image);
      }
      const firing = brute.length - silent.length;
      expect(u.top).toHaveLength(Math.min(K, firing));
      expect(u.bottom).toHaveLength(Math.min(K, firing));
    }
    // Exactly the listed examples have crop files (one per image and position, whichever units list it):
    // nothing for the silent tie.
    const root = path.join(out, 'vgg19', LAYER, 'crops');
    const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => path.relative(out, path.join(f.parentPath, f.name)));
    expect(files.sort()).toEqual([...new Set(units.flatMap((u) => [...u.top, ...u.bottom, ...u.negative].map((e) => e.crop)))].sort());
  });
});
