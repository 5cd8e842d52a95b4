// The default atlas, within 30 minutes a run on 2 CPU cores (`npm run atlas` = `atlas run`): its first
// generation round gets 25 minutes (`budget.minutes`), which leaves the site build room on the slowest
// machine seen (1.1-3.3 minutes on the AVX2 machine, 26-44 s on the AVX-512 one; since the time left after the
// decisions goes to a head start, generation uses its whole budget). The build is timed, and when units
// are still missing and `budget.total` (29.5) less a second build with a margin leaves a minute or more, a
// second round spends it and the site is built again (generator/pipeline/rounds.ts).
// Featured: block3_conv4 unit 166, the unit of block1..block3 that `atlas search --family circles-vs-lines`
// ranks as the strongest round-shape (ring) detector that is not a blob detector; its circuit to depth 2
// gives dataset examples for every unit of block3_conv2..block3_conv4. Feature visualizations follow
// Lucid's recipe (128 px, 512 steps) for the featured unit and its 10 circuit inputs, and MACO for unit 166's
// channel (README, "MACO recipe"); these, the examples and the tuning always run: about 20 minutes of
// generation from scratch on a 2-core AVX2 machine (measured before the engine kept a full-recipe batch's
// sessions), 7.7 on a 2-core AVX-512 (Zen 5) one (measured; README, Benchmarks).
// Units 211 and 186 of block3_conv4 get arc tuning only (a few seconds each, no feature visualizations):
// the featured write-up contrasts them, orientation-selective curve detectors, with unit 166. All three get
// pose (their top dataset examples turned and mirrored, `atlas pose`: about a second each), as do unit 166's 10
// circuit inputs (the circuit's `pose`): which of them are already pose-invariant, which orientation-selective.
// Layer atlases: every unit of the three published layers at the grid recipe (64 px, 112 steps, measured in
// the README's "Grid recipe"), deepest first, each only when its estimate on this machine fits in what is
// left of the budget (generator/pipeline/budget.ts); what does not fit is added by the next run (the rest
// cached), or at once with ATLAS_BUDGET=none. One layer took 12-20 minutes on 2 AVX2 cores (at 128 steps), so from scratch
// none fits beside the rest there; what is left goes to a head start, batch by batch until the budget is
// spent, and two more runs finish block3_conv4, block3_conv3 and block3_conv2 (README, Benchmarks). On 2
// AVX-512 (Zen 5) cores a layer takes 5-6 minutes at the grid's 112 steps: from scratch the three complete in the
// first round (25 min 38 s on a slow day; at 128 steps 29 min with a second round, or 32-76 units left for the
// next run: README, Benchmarks). configs/layers.config.ts has no budget and adds
// unit 166's diversity set and its circuit inputs' MACO images.
import { defineConfig } from './generator/pipeline/config.ts';

export default defineConfig({
  description:
    'VGG19 (Keras, ImageNet weights), blocks 1 to 3. Featured: block3_conv4 unit 166, a round-shape unit, with its circuit, its tuning to rings, arcs and ellipses and its top photos turned; units 211 and 186, curve detectors, with their tuning to arcs. Feature visualizations: the featured units and unit 166\'s circuit inputs at 128 px and 512 Adam steps, as in Lucid (unit 166 also with MACO, 256 px); every unit of block3_conv2, block3_conv3 and block3_conv4 at the cheaper grid recipe (64 px, 112 steps). Dataset examples: 1,000 ImageNet images, one per class.',
  out: 'generated',
  visualization: { size: 128, steps: 512, lr: 0.05, seed: 0, batch: 4 },
  examples: { top: 16 },
  featured: [
    { layer: 'block3_conv4', unit: 166, objectives: ['channel', 'neuron', 'negative'], tuning: ['circle', 'arc', 'ellipse'], pose: true },
    { layer: 'block3_conv4', unit: 166, objectives: ['channel'], recipes: ['maco'] },
    { layer: 'block3_conv4', unit: 211, objectives: [], tuning: ['arc'], pose: true },
    { layer: 'block3_conv4', unit: 186, objectives: [], tuning: ['arc'], pose: true },
  ],
  circuits: [{ layer: 'block3_conv4', unit: 166, depth: 2, top: 10, pose: true }],
  layers: [
    { layer: 'block3_conv4', visualize: 'all', recipe: 'grid' },
    { layer: 'block3_conv3', visualize: 'all', recipe: 'grid' },
    { layer: 'block3_conv2', visualize: 'all', recipe: 'grid' },
  ],
  budget: { minutes: 25, total: 29.5 },
});
