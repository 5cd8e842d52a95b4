// The default atlas in one run, without its time budget: a grid-recipe visualization for every unit of all
// three published layers (block3_conv2..block3_conv4, 768 units), as OpenAI Microscope shows every unit, and
// unit 166's diversity set: about 50 minutes from scratch on a 2-core AVX-512 machine, about 75 on an AVX2 one
// (estimated from the default atlas's runs: 3.2 and 4.8 s per grid unit at block3_conv4, less before it).
// MACO images (README "MACO recipe") of unit 166 and of its 10 circuit inputs beside their full-recipe
// ones: 11 images at 0.75-0.97x a full one's cost, about 10 minutes more (estimated, not run end to end).
import { defineConfig } from '../generator/pipeline/config.ts';
import base from '../atlas.config.ts';

export default defineConfig({
  ...base,
  description: `${base.description} This profile: grid-recipe visualizations for every unit of block3_conv2, block3_conv3 and block3_conv4.`,
  out: '../generated',
  featured: [
    ...base.featured.map((f) => (f.unit === 166 ? { ...f, objectives: ['channel', 'neuron', 'negative', 'diversity'] as const } : f)),
    { layer: 'block3_conv4', unit: 166, objectives: ['channel'], recipes: ['maco'] },
  ],
  circuits: base.circuits.map((c) => ({ ...c, inputRecipes: ['full', 'maco'] as const })),
  budget: null,
});
