// The default atlas: about 30 minutes on a 2-core AVX-512 CPU machine without a GPU (onnxruntime engine), 44 on a 2-core AVX2 one.
// Featured: block3_conv4 unit 166, the unit of block1..block3 that `atlas search --family circles-vs-lines`
// ranks as the strongest round-shape (ring) detector that is not a blob detector; its circuit to depth 2
// gives dataset examples for every unit of block3_conv2..block3_conv4. Feature visualizations follow
// Lucid's recipe (128 px, 512 steps); with the onnxruntime engine and the block3_conv4 layer atlas below the whole atlas takes
// about 28 minutes on a 2-core AVX-512 machine, 44 minutes on a 2-core AVX2 one (README, Benchmarks).
// Units 211 and 186 of block3_conv4 get arc tuning only (a few seconds each, no feature visualizations):
// the featured write-up contrasts them, orientation-selective curve detectors, with unit 166.
// Layer atlas: every unit of block3_conv4 (256 units) gets a grid-recipe visualization (64 px, 128 steps,
// measured in the README's "Grid recipe"). To stay under 30 minutes with it, unit 166 has no diversity set
// here (4 full-recipe images, ~6 minutes on this machine); configs/layers.config.ts adds it back and grids
// block3_conv2..3 too (the deepest layer goes first).
// MACO (README, "MACO recipe"): unit 166's channel objective, beside its full-recipe image (about 1 minute);
// its 10 circuit inputs' MACO images (about 9 minutes more) are in configs/layers.config.ts.
import { defineConfig } from './generator/pipeline/config.ts';

export default defineConfig({
  description:
    'Default atlas: VGG19 block1..block3 (the weights available offline). Featured: block3_conv4 unit 166, a round-shape unit, with its circuit and its tuning to rings, arcs and ellipses; units 211 and 186, curve detectors, with their tuning to arcs. Feature visualizations: 128 px, 512 Adam steps, as in Lucid, for the featured unit and its circuit inputs; every unit of block3_conv4 at the grid recipe (64 px, 128 steps); unit 166 also with MACO (magnitude-constrained phase, 256 px). Generates in about 30 minutes on 2 CPU cores with AVX-512, 44 with AVX2.',
  out: 'generated',
  visualization: { size: 128, steps: 512, lr: 0.05, seed: 0, batch: 4 },
  examples: { top: 16 },
  featured: [
    { layer: 'block3_conv4', unit: 166, objectives: ['channel', 'neuron', 'negative'], tuning: ['circle', 'arc', 'ellipse'] },
    { layer: 'block3_conv4', unit: 166, objectives: ['channel'], recipes: ['maco'] },
    { layer: 'block3_conv4', unit: 211, objectives: [], tuning: ['arc'] },
    { layer: 'block3_conv4', unit: 186, objectives: [], tuning: ['arc'] },
  ],
  circuits: [{ layer: 'block3_conv4', unit: 166, depth: 2, top: 10 }],
  layers: [{ layer: 'block3_conv4', visualize: 'all', recipe: 'grid' }],
});
