// How the site words a visualization's settings and a layer's images against the dataset (src/lib/recipes.ts): parsed through the generator's
// schema, as the site reads them, so a setting the generator writes and the words leave out fails here.
import { describe, expect, it } from 'vitest';
import { FvEntry, LayerJson } from '../../generator/pipeline/schema.ts';
import type { UnitJson } from '../../src/lib/atlas.ts';
import { layerVersusText, optimizedWords, reachedText, settingsText, versusDatasetText, viewsText } from '../../src/lib/recipes.ts';

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

  it('says when the post-ReLU value was optimized, and reports that value as reached', () => {
    const base = { size: 64, steps: 112, lr: 0.5, seed: 0, schedule: 'cosine', transforms: 'scaled', pad: 4 };
    const entry = (s: Record<string, unknown>) =>
      FvEntry.parse({
        objective: 'channel',
        recipe: 'grid',
        images: [],
        activation: { mean: 1849, max: 8653, pre: { mean: -402, min: -9000, max: 8653, centre: 12, curve: [] } },
        curve: [],
        settings: settings(s),
        provenance: { stage: 'fv', hash: 'h', weights: { file: 'w', sha256: 's' }, engine: 'onnxruntime', settings: {}, versions: {} },
      });
    const [pre, post] = [entry(base), entry({ ...base, relu: true })];
    expect(settingsText(post.settings)).toBe('64 px, 112 steps, lr 0.5 cosine, post-ReLU');
    expect(reachedText('channel', pre)).toBe('pre-ReLU mean -402');
    expect(reachedText('channel', post)).toBe('post-ReLU mean 1,849');
    expect(reachedText('neuron', post)).toBe('post-ReLU centre 12');
    expect([optimizedWords([pre]), optimizedWords([post, post]), optimizedWords([pre, post])]).toEqual(['pre-ReLU', 'post-ReLU', null]);
  });

  it("words MACO's views as its crops and noise", () => {
    const maco = settings({ size: 256, steps: 256, lr: 1, seed: 0, param: 'maco', optimizer: 'nadam', maco: { crops: 2, box: [0.4, 0.6], noise: 0.01, input: 128, importance: 80 } });
    expect(settingsText(maco)).toBe('256 px, 256 steps, lr 1 constant, NAdam, 2 crops of 40-60% -> 128 px');
    expect(viewsText(maco)).toBe('crops with noise 0.01');
  });

  it('words a layer\'s channel images against their top dataset examples, per recipe, singular for one unit', () => {
    const l = LayerJson.parse({
      schema: 1,
      model: 'vgg19',
      layer: 'block3_conv4',
      shape: [56, 56, 256],
      rf: { size: 48, stride: 4, offset: 1.5 },
      units: [],
      versusDataset: [
        { recipe: 'full', units: 1, above: 1, min: 1.874, median: 1.874, max: 1.874 },
        { recipe: 'grid', units: 256, above: 255, min: 0.994, median: 2.131, max: 4.2 },
      ],
    });
    expect(layerVersusText(l)).toEqual(['full recipe: 1 of 1 unit (1.87×)', 'grid recipe: 255 of 256 units (0.99×–4.20×, median 2.13×)']);
    // A layer.json of an older generator has none.
    expect(layerVersusText(LayerJson.parse({ ...l, versusDataset: undefined }))).toEqual([]);
  });
});

describe('versusDatasetText', () => {
  // Only what it reads: the unit's ratios and its top example.
  const unit = { versusDataset: { full: 2.03, grid: 0.9, maco: 0.63 }, examples: { top: [{ activation: 25220 }] } } as unknown as UnitJson;
  it('says why a MACO image falls below the top dataset example, and adds nothing to the other recipes', () => {
    expect(versusDatasetText(unit, 'full')).toBe('2.03× the top dataset example’s 25,220');
    expect(versusDatasetText(unit, 'grid')).toBe('0.90× the top dataset example’s 25,220');
    expect(versusDatasetText(unit, 'maco')).toMatch(/^0\.63× the top dataset example’s 25,220, below it: MACO optimizes only the spectrum’s phase/);
  });
});
