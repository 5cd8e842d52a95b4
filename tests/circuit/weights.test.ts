import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { type KerasWeights, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { convSteps, unitConnections } from '../../generator/circuit/weights.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

// The kernels straight from the HDF5 file, read here without readKerasWeights: the shared file keeps
// layer L's kernel in the dataset <L>/<L>_W_1:0, shape [3, 3, in, out], row-major.
async function rawKernel(layer: string): Promise<{ data: Float32Array; shape: number[] }> {
  await h5wasm.ready;
  const f = new h5wasm.File(NOTOP_WEIGHTS(), 'r');
  try {
    const ds = f.get(`${layer}/${layer}_W_1:0`) as InstanceType<typeof h5wasm.Dataset>;
    return { data: Float32Array.from(ds.value as ArrayLike<number>), shape: ds.shape! };
  } finally {
    f.close();
  }
}

interface Direct {
  i: number;
  l2: number;
  sum: number;
  max: number;
  kernel: number[][];
}

/** Every input channel i of unit c: kernel[y][x] = W[y, x, i, c] at offset ((y * kw + x) * in + i) * out + c. */
function directInputs(raw: { data: Float32Array; shape: number[] }, c: number): Direct[] {
  const [kh, kw, cin, cout] = raw.shape;
  const out: Direct[] = [];
  for (let i = 0; i < cin; i++) {
    const kernel: number[][] = [];
    let sq = 0;
    let sum = 0;
    let max = 0;
    for (let y = 0; y < kh; y++) {
      const row: number[] = [];
      for (let x = 0; x < kw; x++) {
        const v = raw.data[y * kw * cin * cout + x * cin * cout + i * cout + c];
        row.push(v);
        sq += v * v;
        sum += v;
        max = Math.max(max, Math.abs(v));
      }
      kernel.push(row);
    }
    out.push({ i, l2: Math.sqrt(sq), sum, max, kernel });
  }
  return out;
}

let weights: KerasWeights;
beforeAll(async () => {
  weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
});

describe('input connections', () => {
  const cases: Array<[string, number, string]> = [
    ['block3_conv4', 8, 'block3_conv3'],
    ['block3_conv4', 0, 'block3_conv3'],
    ['block3_conv4', 255, 'block3_conv3'],
    ['block2_conv2', 5, 'block2_conv1'],
    ['block2_conv1', 17, 'block1_conv2'], // across block1_pool
  ];
  for (const [layer, unit, source] of cases) {
    it(`top-10 of ${layer} unit ${unit} equal a direct computation from the HDF5 arrays`, async () => {
      const direct = directInputs(await rawKernel(layer), unit);
      const byL2 = [...direct].sort((a, b) => b.l2 - a.l2).slice(0, 10);
      const exc = direct.filter((d) => d.sum > 0).sort((a, b) => b.sum - a.sum).slice(0, 10);
      const inh = direct.filter((d) => d.sum < 0).sort((a, b) => a.sum - b.sum).slice(0, 10);
      const got = unitConnections(vgg19, weights, layer, unit, 10);
      expect(got.source).toBe(source);
      for (const [list, want] of [[got.inputs, byL2], [got.excitatory, exc], [got.inhibitory, inh]] as const) {
        expect(list.map((c) => c.unit)).toEqual(want.map((d) => d.i));
        list.forEach((c, n) => {
          expect(c.layer).toBe(source);
          expect(c.l2).toBeCloseTo(want[n].l2, 6);
          expect(c.sum).toBeCloseTo(want[n].sum, 6);
          expect(c.max).toBeCloseTo(want[n].max, 7);
          expect(c.sign).toBe(want[n].sum > 0 ? 'excitatory' : 'inhibitory');
          expect(c.kernel).toEqual(want[n].kernel);
        });
      }
      expect(got.excitatory.every((c) => c.sum > 0)).toBe(true);
      expect(got.inhibitory.every((c) => c.sum < 0)).toBe(true);
    });
  }

  it('gives the first conv the image channels B, G, R as layer "input"', () => {
    const got = unitConnections(vgg19, weights, 'block1_conv1', 3, 10);
    expect(got.source).toBe('input');
    expect(got.inputs).toHaveLength(3);
    expect(got.inputs.every((c) => c.layer === 'input')).toBe(true);
    expect(Object.fromEntries(got.inputs.map((c) => [c.unit, c.label]))).toEqual({ 0: 'B', 1: 'G', 2: 'R' });
  });
});

describe('output connections', () => {
  // i in inputs(c) <=> c in outputs(i), with all of them, and the same numbers both ways.
  const pairs: Array<[string, string, number[], number[]]> = [
    ['block2_conv1', 'block2_conv2', [0, 5, 127], [3, 64, 100]],
    ['block2_conv2', 'block3_conv1', [1, 77], [0, 200, 255]], // across block2_pool
    ['block1_conv1', 'block1_conv2', [0, 63], [10]],
  ];
  for (const [prev, layer, sources, targets] of pairs) {
    it(`outputs of ${prev} and inputs of ${layer} agree`, () => {
      for (const i of sources) {
        const outs = unitConnections(vgg19, weights, prev, i, Infinity);
        expect(outs.target).toBe(layer);
        expect(outs.outputs).toHaveLength(convSteps(vgg19).find((s) => s.name === layer)!.filters);
        for (const c of targets) {
          const ins = unitConnections(vgg19, weights, layer, c, Infinity);
          expect(ins.inputs).toHaveLength(convSteps(vgg19).find((s) => s.name === layer)!.inChannels);
          const a = ins.inputs.find((x) => x.unit === i)!;
          const b = outs.outputs.find((x) => x.unit === c)!;
          expect(a.layer).toBe(prev);
          expect(b.layer).toBe(layer);
          expect({ l2: a.l2, sum: a.sum, max: a.max, sign: a.sign, kernel: a.kernel }).toEqual({ l2: b.l2, sum: b.sum, max: b.max, sign: b.sign, kernel: b.kernel });
        }
      }
    });
  }

  it('are empty for the last layer in the weights, saying why', () => {
    const got = unitConnections(vgg19, weights, 'block3_conv4', 8, 10);
    expect(got.outputs).toEqual([]);
    expect(got.target).toBe('block4_conv1');
    expect(got.outputsNote).toMatch(/block4_conv1, which is not in the loaded weights/);
  });

  it('rank the strongest first', () => {
    const got = unitConnections(vgg19, weights, 'block2_conv2', 9, 10);
    expect(got.outputs).toHaveLength(10);
    expect(got.outputs.map((c) => c.l2)).toEqual([...got.outputs.map((c) => c.l2)].sort((a, b) => b - a));
  });
});

/** What the CLI would print for the error `fn` throws. */
function errorText(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AtlasError);
    return (e as AtlasError).describe();
  }
  throw new Error('did not throw');
}

describe('bad input', () => {
  it('names the range of units, and the conv layers for an unknown or missing layer', () => {
    expect(errorText(() => unitConnections(vgg19, weights, 'block3_conv4', 256))).toMatch(/unit 256 is out of range for block3_conv4: it has units 0\.\.255/);
    expect(errorText(() => unitConnections(vgg19, weights, 'block3_conv4', -1))).toMatch(/0\.\.255/);
    expect(errorText(() => unitConnections(vgg19, weights, 'block9_conv1', 0))).toMatch(/unknown layer 'block9_conv1'[^]*block1_conv1, .*block3_conv4/);
    expect(errorText(() => unitConnections(vgg19, weights, 'block2_pool', 0))).toMatch(/layer block2_pool is a pool layer: circuits are the weights of a conv layer/);
    expect(errorText(() => unitConnections(vgg19, weights, 'block4_conv1', 0))).toMatch(/block4_conv1 is not in the loaded weights[^]*fetch-model/);
  });
});
