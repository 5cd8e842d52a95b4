// The full profile: every unit of every conv layer the weights hold (`layer: '*'`), every objective, 512
// steps at 128 px: block1..block3's 1,408 units with the notop prefix this project has offline, block1..block5's
// 5,504 with the full Keras file. Meant for GPU machines (--device cuda, see the README's GPU section) or a
// cluster (atlas generate --shard i/N, then atlas merge). The expected cost is in the README.
// It keeps the default atlas's featured units, their tuning, MACO image and circuit, with the same settings: it
// writes into the same folder, where it replaces the default atlas's entry, and the featured write-up, written
// for that data, still builds.
import { defineConfig } from '../generator/pipeline/config.ts';
import defaultAtlas from '../atlas.config.ts';

export default defineConfig({
  description: 'Full profile: every unit of every conv layer the weights hold (block1..block3 with the notop prefix, block1..block5 with the full Keras file), all four objectives, 512 steps at 128 px; the default atlas\'s featured units and circuit as there.',
  out: '../generated',
  visualization: { size: 128, steps: 512, lr: 0.05, seed: 0, batch: 8 },
  examples: defaultAtlas.examples,
  featured: defaultAtlas.featured,
  circuits: defaultAtlas.circuits,
  layers: [{ layer: '*', visualize: 'all', objectives: ['channel', 'neuron', 'negative', 'diversity'] }],
});
