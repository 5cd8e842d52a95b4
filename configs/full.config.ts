// The full profile: every unit of every layer the weights hold, every objective, 512 steps at 128 px.
// Meant for GPU machines (--device cuda, see the README's GPU section) or a cluster (atlas generate --shard i/N, then atlas merge).
// Measured cost on the 2-core CPU machine it was written on is in the README.
import { defineConfig } from '../generator/pipeline/config.ts';

const conv = ['block1_conv1', 'block1_conv2', 'block2_conv1', 'block2_conv2', 'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_conv4'];

export default defineConfig({
  description: 'Full profile: every unit of block1..block3 with all four objectives, 512 steps at 128 px.',
  out: '../generated',
  visualization: { size: 128, steps: 512, lr: 0.05, seed: 0, batch: 8 },
  layers: conv.map((layer) => ({ layer, visualize: 'all' as const, objectives: ['channel', 'neuron', 'negative', 'diversity'] as const })),
});
