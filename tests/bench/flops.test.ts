import { describe, expect, it } from 'vitest';
import { convFlops } from '../../bench/flops.ts';
import { machinePeak } from '../../bench/peak.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { kerasGraphs } from '../../generator/model/graph-net.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

describe('convFlops', () => {
  it('counts every conv of the gradient graph, forward and backward, at its layer resolution', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const side = 49; // block2_conv1 runs at floor(49 / 2) = 24
    const mac = (cin: number, cout: number, hw: number) => cin * cout * 9 * hw * hw;
    const full = 2 * 2 * (mac(3, 64, 49) + mac(64, 64, 49) + mac(64, 128, 24)); // 2 FLOPs per MAC, forward + backward
    expect(convFlops(kerasGraphs(vgg19, w).gradient('block2_conv1', 'pre', undefined, [side, side]).bytes, vgg19, side, 1)).toBe(full);
    const pruned = 2 * 2 * (mac(3, 64, 49) + mac(64, 64, 49) + mac(64, 3, 24));
    expect(convFlops(kerasGraphs(vgg19, w).gradient('block2_conv1', 'pre', [1, 2, 3], [side, side]).bytes, vgg19, side, 2)).toBe(2 * pruned);
  });
});

describe('machinePeak', () => {
  it('multiplies cores, FMA pipes, lanes, 2 and the clock, and says so', () => {
    process.env.BENCH_CLOCK_GHZ = '2';
    process.env.BENCH_FMA_PIPES = '1';
    try {
      const p = machinePeak();
      expect(p.derivation).toMatch(/cores x 1 FMA pipes x (4|8|16) float32 lanes .* x 2 x 2\.00 GHz = \d+ GFLOP\/s \(estimate\)/);
      const lanes = Number(/x (\d+) float32/.exec(p.derivation)![1]);
      const cores = Number(/^(\d+) cores/.exec(p.derivation)![1]);
      expect(p.gflops).toBe(cores * lanes * 2 * 2);
    } finally {
      delete process.env.BENCH_CLOCK_GHZ;
      delete process.env.BENCH_FMA_PIPES;
    }
  });
});
