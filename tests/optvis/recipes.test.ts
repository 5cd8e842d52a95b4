import { describe, expect, it } from 'vitest';
import { FULL_RECIPE, GRID_RECIPE, MACO_RECIPE, RECIPES, transformsOf } from '../../generator/optvis/recipes.ts';
import { fvCostScale } from '../../generator/pipeline/progress.ts';
import { lrAt } from '../../generator/optvis/render.ts';
import { scaledTransforms, STANDARD_TRANSFORMS, transformedSize } from '../../generator/optvis/transform.ts';

describe('recipes', () => {
  it('full is Lucid\'s recipe with its pixel transforms', () => {
    expect(FULL_RECIPE).toMatchObject({ size: 128, steps: 512, lr: 0.05, schedule: 'constant' });
    expect(transformsOf(FULL_RECIPE)).toBe(STANDARD_TRANSFORMS);
  });

  it('scales Lucid\'s transforms to the image: the same share of it padded and jittered', () => {
    const t = scaledTransforms(64);
    expect([t.pad, t.jitter1, t.jitter2]).toEqual([6, 4, 2]);
    expect(t.scales).toEqual(STANDARD_TRANSFORMS.scales);
    expect(t.angles).toEqual(STANDARD_TRANSFORMS.angles);
    expect(scaledTransforms(128)).toEqual(STANDARD_TRANSFORMS);
    // Never below one pixel, whatever the size.
    expect(Math.min(scaledTransforms(16).jitter2, scaledTransforms(16).pad)).toBe(1);
    // The network sees about the same enlargement: 128 -> 140 and 64 -> 70 at scale 1.
    expect(transformedSize(64, 1, scaledTransforms(64)) / 64).toBeCloseTo(transformedSize(128, 1) / 128, 1);
  });

  it("a recipe's pad replaces the transforms' own, the rest unchanged; the grid pads 4 px (64 -> 66 at scale 1)", () => {
    expect(transformsOf({ size: 64, transforms: 'scaled', pad: 4 })).toEqual({ ...scaledTransforms(64), pad: 4 });
    expect(transformsOf({ size: 128, transforms: 'lucid', pad: 0 })).toEqual({ ...STANDARD_TRANSFORMS, pad: 0 });
    expect(transformsOf({ size: 64, transforms: 'scaled' })).toEqual(scaledTransforms(64));
    expect(GRID_RECIPE).toMatchObject({ size: 64, steps: 112, lr: 0.3, schedule: 'cosine', transforms: 'scaled', pad: 4, relu: true });
    expect(FULL_RECIPE.relu).toBeUndefined();
    expect(transformedSize(64, 1, transformsOf(GRID_RECIPE))).toBe(66);
    expect(transformedSize(64, 1, scaledTransforms(64))).toBe(70);
  });

  it('cosine schedule: lr at the first step, lr / 10 at the last, monotone between', () => {
    expect(lrAt(0.1, 'constant', 50, 100)).toBe(0.1);
    expect(lrAt(0.1, 'cosine', 0, 100)).toBeCloseTo(0.1, 12);
    expect(lrAt(0.1, 'cosine', 99, 100)).toBeCloseTo(0.01, 12);
    const lrs = Array.from({ length: 100 }, (_, i) => lrAt(0.1, 'cosine', i, 100));
    expect(lrs.every((v, i) => i === 0 || v <= lrs[i - 1])).toBe(true);
  });

  it("maco is MACO's (phase, NAdam at lr 1, crops with noise), and the ETA weighs it by the network's pixels per step", () => {
    expect(RECIPES.maco).toBe(MACO_RECIPE);
    expect(MACO_RECIPE).toMatchObject({ param: 'maco', optimizer: 'nadam', lr: 1, schedule: 'constant' });
    expect(MACO_RECIPE.maco!.box[0]).toBeLessThanOrEqual(MACO_RECIPE.maco!.box[1]);
    expect([FULL_RECIPE.param, GRID_RECIPE.param, FULL_RECIPE.optimizer]).toEqual(['fourier', 'fourier', 'adam']);
    // steps x crops x (input / 128)^2 against the full recipe's 512 steps of one 128 px image.
    const m = MACO_RECIPE.maco!;
    expect(fvCostScale({ objective: 'channel', settings: MACO_RECIPE })).toBeCloseTo((MACO_RECIPE.steps / 512) * m.crops * (m.input / 128) ** 2, 12);
    expect(fvCostScale({ objective: 'channel', settings: FULL_RECIPE })).toBe(1);
  });
});
