// Does a unit's channel visualization excite it more than any image of the dataset? The claim a feature
// visualization makes (Olah et al. 2017, "Feature Visualization": optimized images against dataset
// examples), checked for every unit: the image's highest activation over positions against the unit's top
// dataset example's (the same quantity, a max over positions, over the dataset's images). The grid recipe's
// table in the README checks it on 24 units; this says it for every unit the atlas shows.
// Only the channel objective: the others optimize another quantity (one position, the lowest mean).
import { RECIPE_NAMES, type RecipeName } from '../optvis/recipes.ts';
import { median } from '../stats.ts';
import type { FvEntry, LayerJson, UnitJson } from './schema.ts';

/** Per recipe with a channel image: its max over the unit's dataset max (unit.json). */
export type VersusDataset = UnitJson['versusDataset'];
/**
 * Per recipe (layer.json): `units` with both a channel image of it and a positive dataset max, `above` those
 * whose image beats the dataset max (ratio > 1), and the ratios' min, median and max.
 */
export type VersusSummary = LayerJson['versusDataset'][number];

/** The unit's ratios; none when it has no dataset max above 0 (silent on every image, or no examples). */
export function unitVersusDataset(byRecipe: Record<RecipeName, Record<string, FvEntry>>, datasetMax: number | undefined): VersusDataset {
  if (datasetMax === undefined || !(datasetMax > 0)) return {};
  const out: VersusDataset = {};
  for (const r of RECIPE_NAMES) {
    const e = byRecipe[r].channel;
    if (e) out[r] = e.activation.max / datasetMax;
  }
  return out;
}

/** A layer's ratios per recipe: how many units beat their dataset max, and the spread. */
export function layerVersusDataset(units: VersusDataset[]): VersusSummary[] {
  return RECIPE_NAMES.flatMap((recipe) => {
    const v = units.map((u) => u[recipe]).filter((x): x is number => x !== undefined);
    if (v.length === 0) return [];
    return [{ recipe, units: v.length, above: v.filter((x) => x > 1).length, min: Math.min(...v), median: median(v), max: Math.max(...v) }];
  });
}
