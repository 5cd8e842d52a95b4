// One unit's map over an image (generator/heatmap.ts): each pixel tinted by the unit whose field is
// centred nearest (red excited, blue negative, grey silent), the peak's receptive field outlined.
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cropBox } from '../generator/dataset/crops.ts';
import { heatmapPixels, peakField, whereItFires } from '../generator/heatmap.ts';
import { loadImage } from '../generator/model/image.ts';
import { readKerasWeights } from '../generator/model/keras-h5.ts';
import { OrtEngine } from '../generator/model/ort-engine.ts';
import { vgg19 } from '../generator/model/spec.ts';
import { type UnitMap, unitMap } from '../generator/model/stats.ts';
import { FIXTURES, NOTOP_WEIGHTS } from './helpers/shared.ts';

const W = 16;
const img = { width: W, height: W, data: new Float32Array(W * W * 3).fill(128) };
/** 4 x 4 grid, stride 4, fields of 8 px: the peak at row 2, col 1, a negative value at row 0, col 3. */
const values = new Float32Array(16);
values[2 * 4 + 1] = 10;
values[0 * 4 + 3] = -5;
const map: UnitMap = { height: 4, width: 4, values, max: 10, min: -5, row: 2, col: 1, mean: 5 / 16, active: 1 / 16 };
const rf = { size: 8, stride: 4, offset: 2 };
const px = heatmapPixels(img, map, rf);
const at = (x: number, y: number) => Array.from(px.subarray((y * W + x) * 3, (y * W + x) * 3 + 3));

describe('heatmapPixels', () => {
  it('tints the peak red, a negative value blue at half strength, silent places grey', () => {
    const [r, g, b] = at(6, 10); // centre of (row 2, col 1): x 4..7, y 8..11
    expect(r).toBeGreaterThan(g + 80);
    expect(r).toBeGreaterThan(b + 60);
    const [r2, g2, b2] = at(14, 2); // (row 0, col 3)
    expect(b2).toBeGreaterThan(r2 + 40);
    expect(b2 - r2).toBeLessThan(r - g); // half the peak's strength
    const grey = at(13, 13);
    expect(grey[0]).toBe(grey[1]);
    expect(grey[1]).toBe(grey[2]);
  });

  it("outlines the peak's receptive field, black outside and white inside", () => {
    const box = cropBox(rf, 1, 2, W); // x 2..9, y 6..13
    expect(peakField(map, rf, W)).toEqual(box);
    expect(box).toEqual({ left: 2, top: 6, width: 8, height: 8 });
    expect(at(2, 8)).toEqual([255, 255, 255]);
    expect(at(1, 8)).toEqual([0, 0, 0]);
    expect(at(9, 13)).toEqual([255, 255, 255]);
    expect(at(10, 10)).toEqual([0, 0, 0]);
    expect(at(5, 5)).toEqual([0, 0, 0]);
    expect(peakField(map, null, W)).toBeNull();
  });
});

describe('whereItFires on VGG19', () => {
  it("draws each photo's map side by side, with the peak and share of positions the network gives", async () => {
    const engine = await OrtEngine.create(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19));
    try {
      const files = ['tench_224.png', 'elephant_224.png'].map((f) => path.join(FIXTURES(), f));
      const r = await whereItFires(engine, vgg19, 'block3_conv4', 8, files);
      expect(await sharp(r.strip).metadata()).toMatchObject({ format: 'webp', width: 2 * 224, height: 224 });
      expect(r.tile).toBe(224);
      for (const [i, f] of files.entries()) {
        const img = await loadImage(f, 224);
        const act = (await engine.activations({ data: img.data, shape: [1, 224, 224, 3] }, ['block3_conv4'])).get('block3_conv4')!;
        const m = unitMap(act, 8);
        // One photo at a time against the batch: the same peak, its value to float precision.
        expect({ image: r.examples[i].image, x: r.examples[i].x, y: r.examples[i].y }).toEqual({ image: f, x: m.col, y: m.row });
        expect(Math.abs(r.examples[i].max - m.max) / m.max).toBeLessThan(1e-4);
        expect(Math.abs(r.examples[i].active - m.active)).toBeLessThan(2 / (56 * 56));
        expect(m.max).toBeGreaterThan(0);
      }
    } finally {
      engine.dispose();
    }
  });
});
