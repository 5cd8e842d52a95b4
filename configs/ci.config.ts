// The CI profile: the whole pipeline end to end in about a minute on 2 cores (few units, few steps, 40
// images, a grid-recipe layer atlas of block1_conv2, a MACO image of the featured unit). Its images are not meant to be looked at: 16 steps do
// not make a feature visualization.
import { defineConfig } from '../generator/pipeline/config.ts';

export default defineConfig({
  description: 'CI profile: a small end-to-end run (40 dataset images, 16 optimization steps at 48 px).',
  out: '../generated-ci',
  datasetLimit: 40,
  visualization: { size: 48, steps: 16, lr: 0.05, seed: 0, batch: 4 },
  examples: { top: 4 },
  featured: [
    { layer: 'block2_conv1', unit: 5, objectives: ['channel', 'negative', 'diversity'], pose: true },
    // MACO beside the full recipe (here 64 px, 2 crops of 32 px a step, 12 steps): the site shows both.
    { layer: 'block2_conv1', unit: 5, objectives: ['channel'], recipes: ['maco'] },
  ],
  maco: { size: 64, steps: 12, maco: { crops: 2, input: 32 } },
  circuits: [{ layer: 'block2_conv1', unit: 5, depth: 1, top: 3 }],
  // A layer atlas of a small layer: every unit of block1_conv2 at the grid recipe (here 32 px, 8 steps).
  grid: { size: 32, steps: 8, batch: 16 },
  layers: [{ layer: 'block1_conv2', visualize: 'all', recipe: 'grid' }],
});
