// The public per-unit records (generator/dataset/results.ts): per-class statistics with how many images
// each class has, so that a page can say when a "top class" rests on a single image; how often and how
// widely a unit fires.
import { describe, expect, it } from 'vitest';
import { addImage, emptyPartial } from '../../generator/dataset/accumulate.ts';
import { layerExamples } from '../../generator/dataset/results.ts';
import type { Dataset } from '../../generator/dataset/source.ts';

describe('layerExamples', () => {
  it('gives each class its mean, max and number of images', () => {
    // 1 unit on a 1x1 grid; 7 images: class 0 has 4 (values 1..4), class 1 has 2 (10, 20), class 2 has 1 (5).
    const cls = [0, 0, 0, 0, 1, 1, 2];
    const values = [1, 2, 3, 4, 10, 20, 5];
    const p = emptyPartial('L', 1, [1, 1], 3, true);
    cls.forEach((c, i) => addImage(p, i, c, Float32Array.of(values[i])));
    const ds: Dataset = {
      root: '/d',
      layout: 'imagefolder',
      images: cls.map((c, i) => ({ file: `/d/c${c}/${i}.jpg`, rel: `c${c}/${i}.jpg`, cls: c })),
      classes: [0, 1, 2].map((c) => ({ id: `c${c}`, label: `class ${c}`, known: false })),
      skipped: [],
    };
    const [u] = layerExamples(p, ds, 'm', []).units;
    expect(u.classes).toEqual([
      { wnid: 'c1', label: 'class 1', mean: 15, max: 20, images: 2 },
      { wnid: 'c2', label: 'class 2', mean: 5, max: 5, images: 1 },
      { wnid: 'c0', label: 'class 0', mean: 2.5, max: 4, images: 4 },
    ]);
  });

  it('gives the firing rate over images and the mean share of positions the unit covers', () => {
    // 1 unit on a 1x2 grid; 4 images: on at both positions, at one, at one, at none.
    const acts = [[1, 2], [3, -1], [0, 5], [-1, -2]];
    const p = emptyPartial('L', 1, [1, 2], 3, true);
    acts.forEach((a, i) => addImage(p, i, 0, Float32Array.from(a)));
    const ds: Dataset = { root: '/d', layout: 'flat', images: acts.map((_, i) => ({ file: `/d/${i}.jpg`, rel: `${i}.jpg`, cls: 0 })), classes: [{ id: 'c0', label: 'c0', known: false }], skipped: [] };
    const [u] = layerExamples(p, ds, 'm', []).units;
    expect(u.firing_rate).toBe(3 / 4);
    expect(u.position_rate).toBeCloseTo((1 + 0.5 + 0.5 + 0) / 4, 12);
  });
});
