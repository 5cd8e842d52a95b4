import { beforeAll, describe, expect, it } from 'vitest';
import { expandKernels, expandedWeights } from '../../generator/circuit/expanded.ts';
import type { Pool } from '../../generator/circuit/weights.ts';
import { AtlasError } from '../../generator/errors.ts';
import { type KerasWeights, type LayerWeights, readKerasWeights } from '../../generator/model/keras-h5.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { randomArray } from '../helpers/h5.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

// The linearized chain, explicitly: feature maps [h][w][c] as nested arrays, zero-padded 3x3 convs and
// 2x2 average pools written as plain loops, run on a delta input.
type Fmap = number[][][];

function zeros(h: number, w: number, c: number): Fmap {
  return Array.from({ length: h }, () => Array.from({ length: w }, () => new Array<number>(c).fill(0)));
}

function conv(x: Fmap, k: LayerWeights): Fmap {
  const [kh, kw, cin, cout] = k.kernelShape;
  const h = x.length;
  const w = x[0].length;
  const out = zeros(h, w, cout);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let o = 0; o < cout; o++) {
        let s = 0;
        for (let dy = 0; dy < kh; dy++)
          for (let dx = 0; dx < kw; dx++) {
            const sy = y + dy - 1;
            const sx = xx + dx - 1;
            if (sy < 0 || sx < 0 || sy >= h || sx >= w) continue;
            for (let i = 0; i < cin; i++) s += k.kernel[((dy * kw + dx) * cin + i) * cout + o] * x[sy][sx][i];
          }
        out[y][xx][o] = s;
      }
  return out;
}

function avgPool(x: Fmap): Fmap {
  const h = Math.floor(x.length / 2);
  const w = Math.floor(x[0].length / 2);
  const c = x[0][0].length;
  const out = zeros(h, w, c);
  for (let y = 0; y < h; y++)
    for (let xx = 0; xx < w; xx++)
      for (let i = 0; i < c; i++) out[y][xx][i] = (x[2 * y][2 * xx][i] + x[2 * y + 1][2 * xx][i] + x[2 * y][2 * xx + 1][i] + x[2 * y + 1][2 * xx + 1][i]) / 4;
  return out;
}

function randomConv(cin: number, cout: number, seed: number): LayerWeights {
  return { kernel: randomArray(9 * cin * cout, seed), kernelShape: [3, 3, cin, cout], bias: new Float32Array(cout) };
}

const POOL: Pool = { name: 'pool', size: 2, stride: 2 };

interface Case {
  name: string;
  before: number;
  between: number;
  size: number;
  stride: number;
  origin: number;
  grid: number;
  p: number;
}

const cases: Case[] = [
  { name: 'two convs at the same resolution', before: 0, between: 0, size: 5, stride: 1, origin: -2, grid: 11, p: 5 },
  { name: 'a 2x2 pool between L-1 and L', before: 0, between: 1, size: 8, stride: 2, origin: -3, grid: 16, p: 4 },
  { name: 'a 2x2 pool between L-2 and L-1', before: 1, between: 0, size: 10, stride: 2, origin: -4, grid: 16, p: 4 },
  { name: 'pools on both sides', before: 1, between: 1, size: 16, stride: 4, origin: -6, grid: 32, p: 4 },
];

describe('expandKernels on a random linear chain', () => {
  const S = 3;
  const M = 4;
  const T = 2;
  const w1 = randomConv(S, M, 11);
  const w2 = randomConv(M, T, 23);
  for (const c of cases) {
    it(`equals the chain's response to a delta input: ${c.name} (${c.size}x${c.size})`, () => {
      const run = (s: number, qy: number, qx: number): number[] => {
        let x = zeros(c.grid, c.grid, S);
        if (qy >= 0 && qx >= 0 && qy < c.grid && qx < c.grid) x[qy][qx][s] = 1;
        for (let n = 0; n < c.before; n++) x = avgPool(x);
        x = conv(x, w1);
        for (let n = 0; n < c.between; n++) x = avgPool(x);
        x = conv(x, w2);
        return x[c.p][c.p];
      };
      for (let t = 0; t < T; t++) {
        const e = expandKernels(w1, Array(c.before).fill(POOL), w2, Array(c.between).fill(POOL), t);
        expect({ size: e.size, stride: e.stride, origin: e.origin, sources: e.sources }).toEqual({ size: c.size, stride: c.stride, origin: c.origin, sources: S });
        for (let s = 0; s < S; s++) {
          // One ring beyond the window on every side must read nothing.
          for (let ey = -1; ey <= c.size; ey++) {
            for (let ex = -1; ex <= c.size; ex++) {
              const response = run(s, c.stride * c.p + c.origin + ey, c.stride * c.p + c.origin + ex)[t];
              const inside = ey >= 0 && ex >= 0 && ey < c.size && ex < c.size;
              const want = inside ? e.kernels[(s * c.size + ey) * c.size + ex] : 0;
              expect(Math.abs(response - want), `t=${t} s=${s} e=(${ey},${ex})`).toBeLessThan(1e-6);
            }
          }
        }
      }
    });
  }
});

describe('expandedWeights on VGG19', () => {
  let weights: KerasWeights;
  beforeAll(async () => {
    weights = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
  });

  it('block3_conv4 reads block3_conv2 through block3_conv3 with 5x5 kernels: sum over m of K1 (*) K2, written out', () => {
    const e = expandedWeights(vgg19, weights, 'block3_conv4', 8, 10);
    expect({ source: e.source, via: e.via, size: e.size, stride: e.stride, origin: e.origin }).toEqual({ source: 'block3_conv2', via: 'block3_conv3', size: 5, stride: 1, origin: -2 });
    expect(e.connections).toHaveLength(10);
    expect(e.connections.map((c) => c.l2)).toEqual([...e.connections.map((c) => c.l2)].sort((a, b) => b - a));
    const k1 = weights.layers.get('block3_conv3')!.kernel;
    const k2 = weights.layers.get('block3_conv4')!.kernel;
    for (const c of e.connections.slice(0, 3)) {
      expect(c.kernel).toHaveLength(5);
      for (let ey = 0; ey < 5; ey++) {
        for (let ex = 0; ex < 5; ex++) {
          let want = 0;
          for (let m = 0; m < 256; m++)
            for (let ay = 0; ay < 3; ay++)
              for (let ax = 0; ax < 3; ax++) {
                const by = ey - ay;
                const bx = ex - ax;
                if (by < 0 || bx < 0 || by > 2 || bx > 2) continue;
                want += k1[((ay * 3 + ax) * 256 + c.unit) * 256 + m] * k2[((by * 3 + bx) * 256 + m) * 256 + 8];
              }
          expect(c.kernel[ey][ex]).toBeCloseTo(want, 9);
        }
      }
    }
  });

  it('sums of expanded kernels across a pool are sum_m sum(K1) * sum(K2) (average pools keep sums)', () => {
    for (const [layer, unit, via, size] of [['block2_conv1', 7, 'block1_conv2', 8], ['block2_conv2', 5, 'block2_conv1', 10]] as const) {
      const e = expandedWeights(vgg19, weights, layer, unit, 5);
      expect(e.via).toBe(via);
      expect(e.size).toBe(size);
      const w1 = weights.layers.get(via)!;
      const w2 = weights.layers.get(layer)!;
      const [, , cin, mid] = w1.kernelShape;
      const cout = w2.kernelShape[3];
      for (const c of e.connections) {
        let want = 0;
        for (let m = 0; m < mid; m++) {
          let s1 = 0;
          let s2 = 0;
          for (let p = 0; p < 9; p++) {
            s1 += w1.kernel[(p * cin + c.unit) * mid + m];
            s2 += w2.kernel[(p * mid + m) * cout + unit];
          }
          want += s1 * s2;
        }
        expect(c.sum).toBeCloseTo(want, 9);
        expect(c.kernel.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(c.sum, 12);
      }
    }
  });

  it('reads the image B, G, R for block1_conv2, and refuses block1_conv1', () => {
    const e = expandedWeights(vgg19, weights, 'block1_conv2', 0, 10);
    expect(e.source).toBe('input');
    expect(e.connections.map((c) => c.label).sort()).toEqual(['B', 'G', 'R']);
    expect(() => expandedWeights(vgg19, weights, 'block1_conv1', 0, 10)).toThrow(AtlasError);
    expect(() => expandedWeights(vgg19, weights, 'block1_conv1', 0, 10)).toThrow(/block1_conv1 has no conv layer before it/);
  });
});
