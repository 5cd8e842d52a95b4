// The CI profile of the second model: SqueezeNet 1.1 (an imported ONNX graph) into the same folder as
// configs/ci.config.ts, so the site tests see two models side by side. Few steps, 40 images: its images
// are not meant to be looked at. The circuit goes through a max-pool and a concatenation (fire3's expand
// branches feed fire4's squeeze conv), the layer atlas is a small conv layer; the logits layer (dataset
// examples only) gives the class pages, with what drives each class.
import { defineConfig } from '../generator/pipeline/config.ts';

export default defineConfig({
  description: 'CI profile of SqueezeNet 1.1: a small end-to-end run (40 dataset images, 16 optimization steps at 48 px).',
  model: 'squeezenet1.1',
  out: '../generated-ci',
  datasetLimit: 40,
  visualization: { size: 48, steps: 16, lr: 0.05, seed: 0, batch: 4 },
  examples: { top: 4 },
  featured: [{ layer: 'fire4_squeeze1x1', unit: 5, objectives: ['channel', 'negative'] }],
  circuits: [{ layer: 'fire4_squeeze1x1', unit: 5, depth: 2, top: 3 }],
  grid: { size: 32, steps: 8, batch: 16 },
  layers: [{ layer: 'fire2_squeeze1x1', visualize: 'all', recipe: 'grid' }, { layer: 'logits' }],
});
