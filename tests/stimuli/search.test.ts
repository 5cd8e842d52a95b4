import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrtEngine } from '../../generator/model/ort-engine.ts';
import { searchLayer } from '../../generator/stimuli/search.ts';
import { synthEngine, synthSpec, UNITS } from './synthetic.ts';

let engine: OrtEngine;
beforeAll(async () => {
  engine = await synthEngine();
});
afterAll(() => engine.dispose());

describe('searchLayer on hand-made units', () => {
  it('ranks the ring detector first for circles over lines, above the edge and bar detectors', async () => {
    const r = await searchLayer(engine, synthSpec, { layer: 'conv', family: 'circles-vs-lines', top: Infinity });
    expect(Object.keys(r)).toEqual(['model', 'layer', 'family', 'probe', 'stimuli', 'minResponse', 'units', 'ranking', 'all']);
    expect(r.units).toBe(6);
    expect(r.ranking).toHaveLength(6);
    expect(r.ranking[0]).toMatchObject({ rank: 1, unit: UNITS.ring, weak: false, bestTarget: { kind: 'circle' }, bestLine: { kind: 'line' } });
    const index = (u: number) => r.all.index[u]!;
    expect(index(UNITS.ring)).toBeGreaterThan(0.5);
    expect(index(UNITS.ring)).toBeGreaterThan(index(UNITS.verticalLine) + 0.5);
    // The edge detectors never fire on a centred ring (antisymmetric kernel): not ranked.
    expect(r.all.index[UNITS.verticalEdge]).toBeNull();
    expect(r.ranking.at(-1)!.index).toBeNull();
    // The index is (c - l) / (c + l) of the reported maxima.
    const u = r.ranking[0];
    expect(u.index!).toBeCloseTo((u.target - u.line) / (u.target + u.line), 3);
    // The blob control: the ring detector answers a ring more than a disc.
    expect(r.all.disc[UNITS.ring]).toBeLessThan(r.all.target[UNITS.ring]);
    expect(r.stimuli.target + r.stimuli.line + r.stimuli.disc).toBeGreaterThan(500);
  });

  it('ranks the arc detector above the bar and edge detectors for curves over lines', async () => {
    const r = await searchLayer(engine, synthSpec, { layer: 'conv', family: 'curves-vs-lines', top: 3 });
    expect(r.ranking).toHaveLength(3);
    expect(r.ranking[0].unit).toBe(UNITS.arc);
    expect(r.all.index[UNITS.arc]!).toBeGreaterThan(r.all.index[UNITS.verticalLine]!);
    expect(r.all.index[UNITS.arc]!).toBeGreaterThan(r.all.index[UNITS.verticalEdge]!);
    expect(r.ranking[0].bestTarget).toMatchObject({ kind: 'arc' });
  });

  it('flags units far below the layer maximum as weak and ranks them after the others', async () => {
    const r = await searchLayer(engine, synthSpec, { layer: 'conv', family: 'circles-vs-lines', top: Infinity, minResponse: 0.9 });
    const firstWeak = r.ranking.findIndex((u) => u.weak);
    expect(firstWeak).toBeGreaterThan(0);
    expect(r.ranking.slice(firstWeak).every((u) => u.weak)).toBe(true);
    expect(r.ranking.slice(0, firstWeak).every((u) => u.target >= 0.9 * Math.max(...r.all.target))).toBe(true);
  });

  it('refuses an unknown family', async () => {
    await expect(searchLayer(engine, synthSpec, { layer: 'conv', family: 'squares-vs-lines' as 'curves-vs-lines' })).rejects.toThrow(/unknown family/);
  });
});
