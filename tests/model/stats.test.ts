// Per-channel statistics and one unit's map (generator/model/stats.ts), on a small hand-made activation.
import { describe, expect, it } from 'vitest';
import { channelStats, topK, unitMap } from '../../generator/model/stats.ts';

/** [1, 2, 3, 2]: channel 0 = 0..5, channel 1 = 5 - 0..5 (its max first), both row-major. */
const act = { shape: [1, 2, 3, 2], data: new Float32Array([0, 5, 1, 4, 2, 3, 3, 2, -4, 1, 5, 0]) };

describe('unitMap', () => {
  it('gives the channel row by row, its peak position, mean and share above zero', () => {
    const m = unitMap(act, 0);
    expect([m.height, m.width]).toEqual([2, 3]);
    expect(Array.from(m.values)).toEqual([0, 1, 2, 3, -4, 5]);
    expect([m.max, m.min, m.row, m.col]).toEqual([5, -4, 1, 2]);
    expect(m.mean).toBeCloseTo(7 / 6, 12);
    expect(m.active).toBeCloseTo(4 / 6, 12);
    const n = unitMap(act, 1);
    expect([n.max, n.row, n.col, n.active]).toEqual([5, 0, 0, 5 / 6]);
  });

  it('agrees with channelStats on mean and max', () => {
    const s = channelStats(act);
    for (const c of [0, 1]) {
      expect(unitMap(act, c).max).toBe(s.max[c]);
      expect(unitMap(act, c).mean).toBeCloseTo(s.mean[c], 12);
    }
    expect(topK([3, 9, 1, 9], 3)).toEqual([1, 3, 0]);
  });
});
