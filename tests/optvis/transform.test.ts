import { describe, expect, it } from 'vitest';
import { prng } from '../../generator/optvis/random.ts';
import { planWarp, sampleTransform, STANDARD_TRANSFORMS, transformedSize, warpAdjoint, warpForward } from '../../generator/optvis/transform.ts';
import { randomArray } from '../helpers/h5.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('transformation robustness', () => {
  it('samples Lucent\'s standard ranges', () => {
    const rand = prng(1);
    const seen = { scales: new Set<number>(), angles: new Set<number>(), o1: new Set<number>(), o2: new Set<number>() };
    for (let i = 0; i < 2000; i++) {
      const t = sampleTransform(rand);
      seen.scales.add(Math.round(t.scale * 100));
      seen.angles.add(t.angle);
      t.offset1.forEach((o) => seen.o1.add(o));
      t.offset2.forEach((o) => seen.o2.add(o));
    }
    expect([...seen.scales].sort((a, b) => a - b)).toEqual([90, 92, 94, 96, 98, 100, 102, 104, 106, 108, 110]);
    expect(Math.min(...seen.angles)).toBe(-10);
    expect(Math.max(...seen.angles)).toBe(10);
    expect([...seen.o1].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...seen.o2].sort()).toEqual([0, 1, 2, 3]);
    expect(STANDARD_TRANSFORMS.angles.filter((a) => a === 0)).toHaveLength(6);
  });

  it('with scale 1 and no rotation is pad + two integer crops (exact pixels, 0.5 outside)', () => {
    const size = 10;
    const t = { offset1: [3, 5] as [number, number], scale: 1, angle: 0, offset2: [1, 2] as [number, number] };
    const plan = planWarp(size, t);
    expect(plan.outSize).toBe(transformedSize(size, 1));
    expect(plan.outSize).toBe(size + 24 - 8 - 4);
    const img = randomArray(size * size * 3, 5);
    const out = warpForward(plan, img, 1);
    for (let i = 0; i < plan.outSize; i++)
      for (let j = 0; j < plan.outSize; j++) {
        const y = i + t.offset1[1] + t.offset2[1] - 12;
        const x = j + t.offset1[0] + t.offset2[0] - 12;
        const inside = y >= 0 && y < size && x >= 0 && x < size;
        for (let c = 0; c < 3; c++) expect(out[(i * plan.outSize + j) * 3 + c]).toBeCloseTo(inside ? img[(y * size + x) * 3 + c] : 0.5, 5);
      }
  });

  it('the adjoint is the transpose of the forward map (dot-product test), with scale and rotation', () => {
    const size = 16;
    const plan = planWarp(size, { offset1: [2, 6], scale: 1.06, angle: 7, offset2: [3, 0] });
    const x = randomArray(2 * size * size * 3, 9);
    const y = randomArray(2 * plan.outSize * plan.outSize * 3, 10);
    const zero = warpForward(plan, new Float32Array(x.length), 2); // the constant (pad) part
    const ax = warpForward(plan, x, 2).map((v, i) => v - zero[i]);
    expect(dot(ax, y)).toBeCloseTo(dot(x, warpAdjoint(plan, y, 2)), 3);
  });

  it('the adjoint carries a gradient through warp and sigmoid as finite differences say', () => {
    const size = 12;
    const plan = planWarp(size, { offset1: [1, 4], scale: 0.92, angle: -9, offset2: [2, 1] });
    const x0 = randomArray(size * size * 3, 21);
    const r = randomArray(plan.outSize * plan.outSize * 3, 22);
    const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
    const f = (x: Float32Array) => warpForward(plan, x, 1).reduce((s, v, i) => s + sigmoid(v) * r[i], 0);
    const y = warpForward(plan, x0, 1);
    const g = warpAdjoint(plan, y.map((v, i) => sigmoid(v) * (1 - sigmoid(v)) * r[i]), 1);
    const eps = 1e-2;
    for (const idx of [0, 37, 150, 211, 300, size * size * 3 - 1]) {
      const plus = Float32Array.from(x0);
      const minus = Float32Array.from(x0);
      plus[idx] += eps;
      minus[idx] -= eps;
      expect(g[idx]).toBeCloseTo((f(plus) - f(minus)) / (2 * eps), 2);
    }
  });
});
