import { describe, expect, it } from 'vitest';
import { addImage, BINS, emptyPartial, exponentFor, histogramOf, type LayerPartial, mergePartial } from '../../generator/dataset/accumulate.ts';
import { randomArray } from '../helpers/h5.ts';

// 3 units on a 2x3 grid; image i's activation is deterministic pseudo-random, with heavy ties at 0.
const UNITS = 3;
const GRID: [number, number] = [2, 3];
function activation(i: number): Float32Array {
  const a = randomArray(6 * UNITS, 100 + i, 50 * (1 + (i % 7)));
  return a.map((v) => (v < 10 ? 0 : v)); // ReLU-like: many zeros, so ties are frequent
}

function build(images: number[], k: number): LayerPartial {
  const p = emptyPartial('L', UNITS, GRID, k);
  for (const i of images) addImage(p, i, i % 4, activation(i));
  return p;
}

/** Per-image max over positions and its first position, per unit, by brute force. */
function maxima(i: number): Array<{ v: number; pos: number }> {
  const a = activation(i);
  return Array.from({ length: UNITS }, (_, u) => {
    let v = -Infinity;
    let pos = 0;
    for (let q = 0; q < 6; q++) if (a[q * UNITS + u] > v) [v, pos] = [a[q * UNITS + u], q];
    return { v, pos };
  });
}

const ids = Array.from({ length: 40 }, (_, i) => i);

describe('layer accumulator', () => {
  it('keeps the top-k and bottom-k by value, ties by image index, with the position of the max', () => {
    const p = build(ids, 5);
    for (let u = 0; u < UNITS; u++) {
      const all = ids.map((i) => ({ i, ...maxima(i)[u] }));
      const top = [...all].sort((a, b) => b.v - a.v || a.i - b.i).slice(0, 5);
      const bottom = [...all].sort((a, b) => a.v - b.v || a.i - b.i).slice(0, 5);
      expect(Array.from(p.top.image.subarray(u * 5, u * 5 + 5))).toEqual(top.map((t) => t.i));
      expect(Array.from(p.top.value.subarray(u * 5, u * 5 + 5))).toEqual(top.map((t) => t.v));
      expect(Array.from(p.top.pos.subarray(u * 5, u * 5 + 5))).toEqual(top.map((t) => t.pos));
      expect(Array.from(p.bottom.image.subarray(u * 5, u * 5 + 5))).toEqual(bottom.map((t) => t.i));
      expect(bottom[0].v).toBe(0); // the tie case is exercised
    }
  });

  it('merges shards into exactly the single-pass result, whatever the shard sizes and merge order', () => {
    const whole = build(ids, 4);
    for (const cuts of [[10, 20, 30], [1, 2, 39], [13]]) {
      const bounds = [0, ...cuts, ids.length];
      const shards = bounds.slice(1).map((end, s) => build(ids.slice(bounds[s], end), 4));
      const inOrder = emptyPartial('L', UNITS, GRID, 4);
      for (const s of shards) mergePartial(inOrder, s);
      const reversed = emptyPartial('L', UNITS, GRID, 4);
      for (const s of [...shards].reverse()) mergePartial(reversed, s);
      for (const merged of [inOrder, reversed]) {
        expect(merged.top).toEqual(whole.top);
        expect(merged.bottom).toEqual(whole.bottom);
        expect(merged.histExp).toEqual(whole.histExp);
        expect(merged.histCounts).toEqual(whole.histCounts);
        expect(merged.firing).toEqual(whole.firing);
        expect(merged.images).toBe(40);
        for (const [c, row] of whole.classes) {
          expect(merged.classes.get(c)!.count).toBe(row.count);
          expect(merged.classes.get(c)!.max).toEqual(row.max);
          Array.from(row.sum).forEach((s, u) => expect(merged.classes.get(c)!.sum[u]).toBeCloseTo(s, 6));
        }
      }
    }
  });

  it('histogram: bins of width 2^exp/BINS over [0, 2^exp), exp from the max, trailing empty bins dropped', () => {
    const p = build(ids, 2);
    for (let u = 0; u < UNITS; u++) {
      const values = ids.map((i) => maxima(i)[u].v);
      const max = Math.max(...values);
      const { edges, counts } = histogramOf(p, u);
      expect(edges.length).toBe(counts.length + 1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
      const top = 2 ** exponentFor(max);
      expect(max).toBeLessThan(top);
      expect(max).toBeGreaterThanOrEqual(top / 2);
      const width = top / BINS;
      expect(edges[1]).toBe(width);
      values.forEach((v) => expect(v).toBeLessThan(edges[edges.length - 1]));
      const direct = new Array(counts.length).fill(0);
      for (const v of values) direct[Math.floor(v / width)]++;
      expect(counts).toEqual(direct);
      expect(counts[counts.length - 1]).toBeGreaterThan(0);
    }
  });

  it('exponentFor is the smallest e with v < 2^e, from MIN_EXP up', () => {
    expect(exponentFor(0)).toBe(-20);
    expect(exponentFor(1)).toBe(1);
    expect(exponentFor(0.999)).toBe(0);
    expect(exponentFor(1024)).toBe(11);
    expect(exponentFor(1023.5)).toBe(10);
  });
});
