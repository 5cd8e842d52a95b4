// Named feature-visualization recipes. `full` is Lucid's (128 px, 512 Adam steps at 0.05, its pixel
// transforms); `grid` is the cheap one for layer atlases, chosen and measured by `npm run bench -- grid`
// (README, "Grid recipe"): a smaller image with Lucid's transforms scaled to it, fewer steps at a higher,
// decaying learning rate; `maco` is Fel et al.'s MACO (phase-only parametrization, random crops with
// noise, NAdam at lr 1), sized for this CPU (README, "MACO recipe").
import type { OptimizerName } from './adam.ts';
import type { CropSettings } from './crops.ts';
import type { ParamName } from './parts.ts';
import { scaledTransforms, STANDARD_TRANSFORMS, type TransformConfig } from './transform.ts';

export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
export const TRANSFORM_SCALES = ['lucid', 'scaled'] as const;
export type TransformScale = (typeof TRANSFORM_SCALES)[number];

/** MACO's settings beyond the common ones: its crops (crops.ts) and its importance map's clipping percentile. */
export interface MacoSettings extends CropSettings {
  /** The importance map is clipped at this percentile of its values, then divided by its max (Horama: 80). */
  importance: number;
}

export interface Recipe {
  size: number;
  steps: number;
  lr: number;
  schedule: LrSchedule;
  /** Lucid's warp, in its pixels or scaled to the image (the Fourier parametrization's views; MACO's are crops). */
  transforms: TransformScale;
  /**
   * The warp's pad in the image's pixels, instead of the transforms' own (Lucid's 12, or 12 scaled to the
   * size); fewer pad pixels are fewer network pixels each step. Absent: the transforms' own.
   */
  pad?: number;
  /** Images optimized together. */
  batch: number;
  /** Lucid's Fourier spectra, or MACO's phase under the dataset's magnitude spectrum. */
  param: ParamName;
  optimizer: OptimizerName;
  /** MACO's crops, noise and importance map (param 'maco'). */
  maco?: MacoSettings;
  /**
   * Optimize the unit's post-ReLU values (the layer's output) instead of its pre-ReLU ones (objectives.ts
   * `relu`): a pre-ReLU channel mean sums an edge unit's negative responses too, and its images stay
   * below the unit's dataset max at block2 (README, "Grid recipe"). Absent: pre-ReLU.
   */
  relu?: boolean;
}

export function recipe(size: number, steps: number, lr: number, schedule: LrSchedule, transforms: TransformScale = 'scaled', batch = 4): Recipe {
  return { size, steps, lr, schedule, transforms, batch, param: 'fourier', optimizer: 'adam' };
}

/** The transform chain a recipe asks for at its size. */
export function transformsOf(r: Pick<Recipe, 'size' | 'transforms' | 'pad'>): TransformConfig {
  const t = r.transforms === 'scaled' ? scaledTransforms(r.size) : STANDARD_TRANSFORMS;
  return r.pad === undefined ? t : { ...t, pad: r.pad };
}

export const RECIPE_NAMES = ['full', 'grid', 'maco'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

export const FULL_RECIPE: Recipe = recipe(128, 512, 0.05, 'constant', 'lucid');
/**
 * Pad 4 instead of the scaled 6 (network inputs 59-73 px instead of 63-77, about 11% cheaper, as good),
 * 112 steps. Post-ReLU: every unit of block2_conv2 then beats its dataset max, 54 of 128 with the pre-ReLU
 * objective, whose images of edge units wash out; block3's are the same pictures. lr 0.3 (0.5 until
 * 2026-12-05): the same cost and patterns, the 24 measured units at 0.82-1.08x the full recipe's objective,
 * and a median 4% of channel values clipped at 0 or 255, as the full recipe's, against 18% (README "Grid recipe").
 */
export const GRID_RECIPE: Recipe = { ...recipe(64, 112, 0.3, 'cosine'), pad: 4, relu: true };

/**
 * MACO's own settings at Horama's defaults where this CPU affords them: noise 0.05 in a model's
 * normalized units (Horama's value range -2.5..2.5, about torchvision's 1/0.226 per unit of [0, 1]) is
 * 0.01 of the (0, 1) image, i.e. 2.55 of VGG19's 0..255 caffe input; 80th-percentile importance.
 */
export const MACO_SETTINGS: MacoSettings = { crops: 2, box: [0.4, 0.6], noise: 0.01, input: 128, importance: 80 };

/**
 * 256 px, 2 crops of 0.4-0.6 of it resized to 128 px per step (about 1:1), 256 NAdam steps at lr 1: about
 * 0.75x a full-recipe Fourier image's time here; 3 crops, 384 steps, crops of 0.25-0.35 or 0.6-0.8 of
 * the image reached no more (README, "MACO recipe").
 */
export const MACO_RECIPE: Recipe = { ...recipe(256, 256, 1, 'constant', 'scaled', 2), param: 'maco', optimizer: 'nadam', maco: MACO_SETTINGS };

export const RECIPES: Record<RecipeName, Recipe> = { full: FULL_RECIPE, grid: GRID_RECIPE, maco: MACO_RECIPE };
