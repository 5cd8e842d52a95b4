import { describe, expect, it } from 'vitest';
import { addImage, BINS, emptyPartial, exponentFor, histogramOf, type LayerPartial, mergePartial } from '../../generator/dataset/accumulate.ts';
import { randomArray } from '../helpers/h5.ts';

// 3 units on a 2x3 grid; image i's pre-ReLU activation is deterministic pseudo-random and signed. Unit 2
// is negative everywhere on every third image (silent there), and equal minima recur, so ties are exercised.
const UNITS = 3;
const GRID: [number, number] = [2, 3];
function activation(i: number): Float32Array {
  const a = randomArray(6 * UNITS, 100 + i, 50 * (1 + (i % 7)));
  return a.map((v, j) => {
    if (j % UNITS === 2 && i % 3 === 0) return -Math.abs(v) - 1;
    return v < -30 ? -30 : v; // a floor: minima tie at -30 across images
  });
}

function build(images: number[], k: number, signed = true): LayerPartial {
  const p = emptyPartial('L', UNITS, GRID, k, signed);
  for (const i of images) addImage(p, i, i % 4, activation(i));
  return p;
}

/** Per-image pre-ReLU max and min over positions and their first positions, per unit, by brute force. */
function extremes(i: number): Array<{ v: number; pos: number; min: number; minPos: number }> {
  const a = activation(i);
  return Array.from({ length: UNITS }, (_, u) => {
    let v = -Infinity;
    let pos = 0;
    let min = Infinity;
    let minPos = 0;
    for (let q = 0; q < 6; q++) {
      if (a[q * UNITS + u] > v) [v, pos] = [a[q * UNITS + u], q];
      if (a[q * UNITS + u] < min) [min, minPos] = [a[q * UNITS + u], q];
    }
    return { v, pos, min, minPos };
  });
}

/** The post-ReLU max, as the accumulator reports it. */
const maxima = (i: number) => extremes(i).map((e) => ({ ...e, v: Math.max(0, e.v) }));

const ids = Array.from({ length: 40 }, (_, i) => i);
const list = (r: LayerPartial['top'], u: number, field: 'image' | 'value' | 'pos') => Array.from(r[field].subarray(u * r.k, u * r.k + r.size[u]));

describe('layer accumulator', () => {
  it('keeps the top-k and bottom-k by post-ReLU max among firing images, ties by image index, with the position of the max', () => {
    const p = build(ids, 5);
    for (let u = 0; u < UNITS; u++) {
      const firing = ids.map((i) => ({ i, ...maxima(i)[u] })).filter((t) => t.v > 0);
      const top = [...firing].sort((a, b) => b.v - a.v || a.i - b.i).slice(0, 5);
      const bottom = [...firing].sort((a, b) => a.v - b.v || a.i - b.i).slice(0, 5);
      expect(list(p.top, u, 'image')).toEqual(top.map((t) => t.i));
      expect(list(p.top, u, 'value')).toEqual(top.map((t) => t.v));
      expect(list(p.top, u, 'pos')).toEqual(top.map((t) => t.pos));
      expect(list(p.bottom, u, 'image')).toEqual(bottom.map((t) => t.i));
      expect(list(p.bottom, u, 'pos')).toEqual(bottom.map((t) => t.pos));
      expect(p.firing[u]).toBe(firing.length);
    }
    expect(40 - p.firing[2]).toBeGreaterThanOrEqual(14); // unit 2 is silent at least on images 0, 3, ..., 39
  });

  it("sums each image's share of positions where a unit is > 0 (coverage), whether or not its max fires", () => {
    const p = build(ids, 5);
    for (let u = 0; u < UNITS; u++) {
      const expected = ids.reduce((sum, i) => {
        const a = activation(i);
        let on = 0;
        for (let q = 0; q < 6; q++) if (a[q * UNITS + u] > 0) on++;
        return sum + on / 6;
      }, 0);
      expect(p.coverage[u]).toBeCloseTo(expected, 12);
      expect(p.coverage[u]).toBeLessThanOrEqual(p.firing[u]); // an image it covers is an image it fires on
    }
    // One image, 2x3 grid, one unit: on at 2 of 6 positions.
    const one = emptyPartial('L', 1, GRID, 2, true);
    addImage(one, 0, 0, Float32Array.from([-1, 3, 0, 2, -5, 0]));
    expect(one.coverage[0]).toBeCloseTo(2 / 6, 12);
  });

  it('keeps the negative-k by pre-ReLU min, ties by image index, with the position of the min', () => {
    const p = build(ids, 5);
    for (let u = 0; u < UNITS; u++) {
      const all = ids.map((i) => ({ i, ...extremes(i)[u] }));
      const negative = [...all].sort((a, b) => a.min - b.min || a.i - b.i).slice(0, 5);
      expect(list(p.negative, u, 'image')).toEqual(negative.map((t) => t.i));
      expect(list(p.negative, u, 'value')).toEqual(negative.map((t) => Math.fround(t.min)));
      expect(list(p.negative, u, 'pos')).toEqual(negative.map((t) => t.minPos));
    }
    // Units 0 and 1 tie at the floor on many images: the tie goes to the lowest image indices.
    expect(list(p.negative, 0, 'value')).toEqual([-30, -30, -30, -30, -30]);
    expect(list(p.negative, 0, 'image')).toEqual(ids.filter((i) => extremes(i)[0].min === -30).slice(0, 5));
  });

  it('a unit silent on every image has empty top and bottom lists, but is counted in the histogram and classes', () => {
    const p = emptyPartial('L', 1, [2, 2], 3, true);
    ids.forEach((i) => addImage(p, i, 0, Float32Array.from([-1 - i, -2, -3, -0.5])));
    expect(p.top.size[0]).toBe(0);
    expect(p.bottom.size[0]).toBe(0);
    expect(p.firing[0]).toBe(0);
    expect(histogramOf(p, 0)).toEqual({ edges: [0, 2 ** -20 / BINS], counts: [40] });
    expect(p.classes.get(0)!.max[0]).toBe(0);
    expect(list(p.negative, 0, 'image')).toEqual([39, 38, 37]);
    expect(list(p.negative, 0, 'pos')).toEqual([0, 0, 0]);
  });

  it('keeps no negatives for an unsigned layer (a pool output)', () => {
    const p = build(ids, 5, false);
    expect(Array.from(p.negative.size)).toEqual([0, 0, 0]);
    expect(() => mergePartial(p, build(ids, 5, true))).toThrow(/cannot merge/);
  });

  it('merges shards into exactly the single-pass result, whatever the shard sizes and merge order', () => {
    const whole = build(ids, 4);
    for (const cuts of [[10, 20, 30], [1, 2, 39], [13]]) {
      const bounds = [0, ...cuts, ids.length];
      const shards = bounds.slice(1).map((end, s) => build(ids.slice(bounds[s], end), 4));
      const inOrder = emptyPartial('L', UNITS, GRID, 4, true);
      for (const s of shards) mergePartial(inOrder, s);
      const reversed = emptyPartial('L', UNITS, GRID, 4, true);
      for (const s of [...shards].reverse()) mergePartial(reversed, s);
      for (const merged of [inOrder, reversed]) {
        expect(merged.top).toEqual(whole.top);
        expect(merged.bottom).toEqual(whole.bottom);
        expect(merged.negative).toEqual(whole.negative);
        expect(merged.histExp).toEqual(whole.histExp);
        expect(merged.histCounts).toEqual(whole.histCounts);
        expect(merged.firing).toEqual(whole.firing);
        Array.from(whole.coverage).forEach((c, u) => expect(merged.coverage[u]).toBeCloseTo(c, 9));
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
