// A complete SqueezeNet 1.1 atlas (the imported ONNX model): every unit of every conv layer (26 layers,
// 3,944 units) and every class (the 1,000 logits: class visualizations, the objective on a logit) with a
// grid-recipe feature visualization and its dataset examples; the tabby-cat class with Lucid's full
// recipe, and its circuit up the network: conv10's unit c is class c (the logits are conv10's units
// averaged over positions), so conv10 281's inputs are fire9's expand units.
// Into the default atlas's folder, beside VGG19 (`npm run atlas` first, then this profile, then `npm run build`).
import { defineConfig } from '../generator/pipeline/config.ts';

export default defineConfig({
  description:
    'SqueezeNet 1.1 (ONNX model zoo), imported from its ONNX file: every unit of its 26 conv layers and every class (logits) at the grid recipe (64 px, 112 steps), dataset examples for each, and the tabby-cat class (logits 281, conv10 281) with Lucid\'s full recipe and its circuit to depth 2.',
  model: 'squeezenet1.1',
  out: '../generated',
  visualization: { size: 128, steps: 512, lr: 0.05, seed: 0, batch: 4 },
  examples: { top: 16 },
  featured: [
    { layer: 'logits', unit: 281, objectives: ['channel'] },
    { layer: 'conv10', unit: 281, objectives: ['channel', 'neuron', 'negative'] },
  ],
  circuits: [{ layer: 'conv10', unit: 281, depth: 2, top: 10 }],
  // Every layer with units: its 26 convs and the logits (run deepest first, as every layer atlas: a run
  // stopped early has the layers nearest the classes).
  layers: [{ layer: '*', visualize: 'all', recipe: 'grid' }],
});
