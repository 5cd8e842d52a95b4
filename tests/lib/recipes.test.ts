// How the site words a visualization's settings (src/lib/recipes.ts): parsed through the generator's
// schema, as the site reads them, so a setting the generator writes and the words leave out fails here.
import { describe, expect, it } from 'vitest';
import { FvEntry } from '../../generator/pipeline/schema.ts';
import { settingsText, viewsText } from '../../src/lib/recipes.ts';

const settings = (s: Record<string, unknown>) => FvEntry.shape.settings.parse(s);

describe('settings in words', () => {
  it("names the grid recipe's pad, and none where the transforms keep their own", () => {
    const grid = settings({ size: 64, steps: 112, lr: 0.5, seed: 0, schedule: 'cosine', transforms: 'scaled', pad: 4 });
    expect(settingsText(grid)).toBe('64 px, 112 steps, lr 0.5 cosine');
    expect(viewsText(grid)).toBe('transforms scaled, pad 4 px');
    // A file of an older generator: no pad field, Lucid's transforms by default.
    const full = settings({ size: 128, steps: 512, lr: 0.05, seed: 0 });
    expect(viewsText(full)).toBe('transforms lucid');
  });

  it("words MACO's views as its crops and noise", () => {
    const maco = settings({ size: 256, steps: 256, lr: 1, seed: 0, param: 'maco', optimizer: 'nadam', maco: { crops: 2, box: [0.4, 0.6], noise: 0.01, input: 128, importance: 80 } });
    expect(settingsText(maco)).toBe('256 px, 256 steps, lr 1 constant, NAdam, 2 crops of 40-60% -> 128 px');
    expect(viewsText(maco)).toBe('crops with noise 0.01');
  });
});
