// Named feature-visualization recipes. `full` is Lucid's (128 px, 512 Adam steps at 0.05, its pixel
// transforms); `grid` is the cheap one for layer atlases, chosen and measured by `npm run bench -- grid`
// (README, "Grid recipe"): a smaller image with Lucid's transforms scaled to it, fewer steps at a higher,
// decaying learning rate.
import { scaledTransforms, STANDARD_TRANSFORMS, type TransformConfig } from './transform.ts';

export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
export const TRANSFORM_SCALES = ['lucid', 'scaled'] as const;
export type TransformScale = (typeof TRANSFORM_SCALES)[number];

export interface Recipe {
  size: number;
  steps: number;
  lr: number;
  schedule: LrSchedule;
  transforms: TransformScale;
  /** Images optimized together. */
  batch: number;
}

export function recipe(size: number, steps: number, lr: number, schedule: LrSchedule, transforms: TransformScale = 'scaled', batch = 4): Recipe {
  return { size, steps, lr, schedule, transforms, batch };
}

/** The transform chain a recipe asks for at its size. */
export function transformsOf(r: Pick<Recipe, 'size' | 'transforms'>): TransformConfig {
  return r.transforms === 'scaled' ? scaledTransforms(r.size) : STANDARD_TRANSFORMS;
}

export const RECIPE_NAMES = ['full', 'grid'] as const;
export type RecipeName = (typeof RECIPE_NAMES)[number];

export const FULL_RECIPE: Recipe = recipe(128, 512, 0.05, 'constant', 'lucid');
export const GRID_RECIPE: Recipe = recipe(64, 128, 0.3, 'cosine');

export const RECIPES: Record<RecipeName, Recipe> = { full: FULL_RECIPE, grid: GRID_RECIPE };
