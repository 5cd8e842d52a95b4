// Circuits benchmark: loading the weights (the only slow part) and then one unit's whole circuit, as the
// CLI and the pipeline compute it.
import { unitCircuit } from '../generator/circuit/index.ts';
import { readKerasWeights } from '../generator/model/keras-h5.ts';
import { getSpec, locateWeights } from '../generator/model/load.ts';
import { row, timeMedian } from './util.ts';

export async function benchCircuit(): Promise<void> {
  console.log('\n# circuit (weights only, no backend)');
  const spec = getSpec('vgg19');
  const file = locateWeights(spec);
  const t0 = performance.now();
  const weights = await readKerasWeights(file, spec);
  row('load the weights (readKerasWeights, with sha256)', `${(performance.now() - t0).toFixed(0)} ms`);
  for (const [layer, unit, what] of [['block3_conv4', 8, '5x5'], ['block2_conv2', 5, '10x10 (pool)']] as const) {
    const t = await timeMedian(() => unitCircuit(spec, weights, layer, unit, { top: 10, depth: 2, expanded: true }), 7);
    row(`${layer}:${unit} circuit, top 10, depth 2, expanded ${what}`, `${t.toFixed(1)} ms`);
  }
  const all = await timeMedian(() => unitCircuit(spec, weights, 'block3_conv4', 8, { top: Infinity, depth: 1 }), 3);
  row('block3_conv4:8 circuit, all 256 inputs, depth 1', `${all.toFixed(1)} ms`);
}
