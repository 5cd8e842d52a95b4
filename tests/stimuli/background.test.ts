import { describe, expect, it } from 'vitest';
import { background } from '../../generator/stimuli/background.ts';

describe('background', () => {
  it('makes a seeded noise texture: the same for a seed, anchored at its origin whatever the canvas size', () => {
    const a = background({ kind: 'noise', seed: 3 }, 64);
    const b = background({ kind: 'noise', seed: 3 }, 64);
    const c = background({ kind: 'noise', seed: 4 }, 64);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    // Canvas 64 anchored at 32 vs canvas 128 anchored at 64: the same texture around the anchor.
    const big = background({ kind: 'noise', seed: 3, origin: [64, 64] }, 128);
    expect(big[((32 + 10) * 128 + 32 + 5) * 3]).toBe(a[(10 * 64 + 5) * 3]);
    expect(background({ kind: 'grey' }, 4)).toEqual(new Float32Array(48).fill(0.5));
  });

  it('refuses a bad level or noise scale', () => {
    expect(() => background({ kind: 'grey', level: 1.5 }, 4)).toThrow(/background level/);
    expect(() => background({ kind: 'noise', seed: 1, scale: 0 }, 4)).toThrow(/noise scale/);
  });
});
