// The one-pass statistics of block3_conv4 against a direct recomputation, image by image, with the engine.
// N = 60 images by default (both sides together cost ~20-60 s of CPU, by engine); ATLAS_FULL_TESTS=1 runs all 1000.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { examplesForLayers } from '../../generator/dataset/index.ts';
import { openDataset } from '../../generator/dataset/source.ts';
import type { LayerExamples } from '../../generator/dataset/types.ts';
import { loadImage } from '../../generator/model/image.ts';
import { loadModel } from '../../generator/model/load.ts';
import { SHARED_DIR } from '../helpers/shared.ts';
import { SAMPLE, tempDir } from './fixtures.ts';

process.env.ATLAS_MODELS_DIR ??= path.join(SHARED_DIR, 'models');

const FULL = process.env.ATLAS_FULL_TESTS === '1';
const N = FULL ? 1000 : 60;
const LAYER = 'block3_conv4';
const UNITS = [0, 37, 101, 200, 255];
const K = 4;
const TIMEOUT = FULL ? 3 * 3600_000 : 600_000;

interface Direct {
  rel: string;
  wnid: string;
  /** Per spot-checked unit: max over positions and its first (row-major) position. */
  max: number[];
  x: number[];
  y: number[];
}

let result: LayerExamples;
let direct: Direct[];

beforeAll(async () => {
  // The pass under test, with two workers.
  result = (await examplesForLayers({ dataset: SAMPLE(), imageLimit: N, layers: [LAYER], out: tempDir('atlas-out-'), top: K, workers: 2, quiet: true })).get(LAYER)!;
  // The direct recomputation: engine.activations on each image, in this process.
  const { engine } = await loadModel({ backend: 'wasm' });
  const ds = openDataset(SAMPLE(), { limit: N });
  direct = [];
  for (const im of ds.images) {
    const img = await loadImage(im.file, 224);
    const act = (await engine.activations({ data: img.data, shape: [1, 224, 224, 3] }, [LAYER])).get(LAYER)!;
    const [, h, w, c] = act.shape;
    const d: Direct = { rel: im.rel, wnid: ds.classes[im.cls].id, max: [], x: [], y: [] };
    for (const u of UNITS) {
      let best = -Infinity;
      let at = 0;
      for (let q = 0; q < h * w; q++) {
        if (act.data[q * c + u] > best) {
          best = act.data[q * c + u];
          at = q;
        }
      }
      d.max.push(best);
      d.x.push(at % w);
      d.y.push(Math.floor(at / w));
    }
    direct.push(d);
  }
  engine.dispose();
}, TIMEOUT);

describe(`${LAYER} over ${N} images: one pass vs direct recomputation`, () => {
  it('computes every unit over every image', () => {
    expect(result.images).toBe(N);
    expect(result.skipped).toEqual([]);
    expect(result.units).toHaveLength(256);
  });

  UNITS.forEach((unit, j) => {
    it(`unit ${unit}: top-${K} and bottom-${K} images, activations and (x, y); per-class max and mean; firing rate`, () => {
      const u = result.units[unit];
      // Silent images (max 0) are in neither list: their max has no position.
      const rank = (sign: 1 | -1) => direct.filter((d) => d.max[j] > 0).sort((a, b) => sign * (b.max[j] - a.max[j]) || (a.rel < b.rel ? -1 : 1)).slice(0, K);
      for (const [got, want] of [[u.top, rank(1)], [u.bottom, rank(-1)]] as const) {
        expect(got.map((e) => e.image)).toEqual(want.map((d) => d.rel));
        expect(got.map((e) => e.activation)).toEqual(want.map((d) => d.max[j]));
        expect(got.map((e) => [e.x, e.y])).toEqual(want.map((d) => [d.x[j], d.y[j]]));
        expect(got.map((e) => e.class)).toEqual(want.map((d) => d.wnid));
      }
      const byClass = new Map<string, number[]>();
      for (const d of direct) byClass.set(d.wnid, [...(byClass.get(d.wnid) ?? []), d.max[j]]);
      const classes = [...byClass.entries()]
        .map(([wnid, v]) => ({ wnid, mean: v.reduce((a, b) => a + b, 0) / v.length, max: Math.max(...v), images: v.length }))
        .sort((a, b) => b.mean - a.mean || (a.wnid < b.wnid ? -1 : 1))
        .slice(0, 10);
      expect(u.classes.map((c) => c.wnid)).toEqual(classes.map((c) => c.wnid));
      u.classes.forEach((c, i) => {
        expect(c.max).toBe(classes[i].max);
        expect(c.images).toBe(classes[i].images);
        expect(c.mean).toBeCloseTo(classes[i].mean, 3);
      });
      expect(u.firing_rate).toBe(direct.filter((d) => d.max[j] > 0).length / N);
      expect(u.silent).toBe(direct.filter((d) => d.max[j] === 0).length);
      expect(u.histogram.counts.reduce((a, b) => a + b, 0)).toBe(N);
    });
  });
});

describe('worker count', () => {
  it('gives an identical result with 1 and 2 workers (3 shards)', async () => {
    const run = async (workers: number) =>
      (await examplesForLayers({ dataset: SAMPLE(), imageLimit: 10, layers: [LAYER], out: tempDir('atlas-out-'), top: 3, workers, quiet: true })).get(LAYER)!;
    const one = await run(1);
    const two = await run(2);
    expect(two).toEqual(one);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
  }, TIMEOUT);
});
