// A unit's channel images against its top dataset example: the ratio per recipe, none without a positive
// dataset max or a channel image, and a layer's count and spread per recipe.
import { describe, expect, it } from 'vitest';
import { FvEntry } from '../../generator/pipeline/schema.ts';
import { layerVersusDataset, unitVersusDataset } from '../../generator/pipeline/versus-dataset.ts';

const entry = (objective: string, recipe: 'full' | 'grid' | 'maco', max: number) =>
  FvEntry.parse({
    objective,
    recipe,
    images: [{ file: 'x.png', activation: { mean: 1, max } }],
    activation: { mean: 1, max },
    curve: [],
    settings: { size: 64, steps: 112, lr: 0.5, seed: 0 },
    provenance: { stage: 'fv', hash: 'h', weights: { file: 'w.h5', sha256: 's' }, engine: 'onnxruntime', settings: {}, versions: {} },
  });

describe('versus the dataset', () => {
  it("divides each recipe's channel image max by the dataset max, and ignores the other objectives", () => {
    const v = unitVersusDataset({ full: { channel: entry('channel', 'full', 300) }, grid: { channel: entry('channel', 'grid', 150), neuron: entry('neuron', 'grid', 999) }, maco: {} }, 100);
    expect(v).toEqual({ full: 3, grid: 1.5 });
    expect(unitVersusDataset({ full: { neuron: entry('neuron', 'full', 300) }, grid: {}, maco: {} }, 100)).toEqual({});
  });

  it('says nothing for a unit silent on the dataset or without examples', () => {
    const byRecipe = { full: {}, grid: { channel: entry('channel', 'grid', 150) }, maco: {} };
    expect(unitVersusDataset(byRecipe, 0)).toEqual({});
    expect(unitVersusDataset(byRecipe, undefined)).toEqual({});
    expect(unitVersusDataset(byRecipe, Number.NaN)).toEqual({});
  });

  it('counts the units above 1 per recipe, with min, median and max, recipes in their order', () => {
    const s = layerVersusDataset([{ grid: 2 }, { grid: 0.5, full: 1.2 }, { grid: 1 }, { grid: 3 }, {}]);
    expect(s).toEqual([
      { recipe: 'full', units: 1, above: 1, min: 1.2, median: 1.2, max: 1.2 },
      // Exactly 1 does not beat the dataset; the median of an even count is the mean of the middle two.
      { recipe: 'grid', units: 4, above: 2, min: 0.5, median: 1.5, max: 3 },
    ]);
    expect(layerVersusDataset([{}, {}])).toEqual([]);
  });
});
