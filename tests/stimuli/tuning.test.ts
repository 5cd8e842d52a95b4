import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import type { OrtEngine } from '../../generator/model/ort-engine.ts';
import { receptiveFields } from '../../generator/model/spec.ts';
import { measure, probeFor } from '../../generator/stimuli/measure.ts';
import { TuningJson } from '../../generator/pipeline/schema.ts';
import { tuneUnit } from '../../generator/stimuli/tuning.ts';
import { synthEngine, synthSpec, UNITS } from './synthetic.ts';

let engine: OrtEngine;
beforeAll(async () => {
  engine = await synthEngine();
});
afterAll(() => engine.dispose());

const angleDiff = (a: number, b: number, period: number) => {
  const d = (((a - b) % period) + period) % period;
  return Math.min(d, period - d);
};

describe('probe position', () => {
  it("centres stimuli on the receptive-field centre of the unit nearest the canvas centre", () => {
    const p = probeFor(synthSpec, 'conv', 'auto');
    const rf = receptiveFields(synthSpec).get('conv')!;
    expect(p.size).toBe(32);
    expect(p.centre[0]).toBe(rf.offset + p.position[1] * rf.stride);
    expect(Math.abs(p.centre[0] - p.size / 2)).toBeLessThanOrEqual(rf.stride / 2);
    expect(p.rfInside).toBe(true);
  });

  it('reads the probed position: post = max(pre, 0), and a point stimulus off-centre answers as the kernel says', async () => {
    const p = probeFor(synthSpec, 'conv', 'auto');
    // A vertical line 3 px to the right of the centre hits the edge detector's positive half only.
    const right = { shapes: { kind: 'line' as const, orientation: 90, length: 40, width: 1, cx: 3 } };
    const left = { shapes: { kind: 'line' as const, orientation: 90, length: 40, width: 1, cx: -3 } };
    const r = await measure(engine, p, [right, left], null);
    const k = r.units.length;
    expect(r.pre[UNITS.verticalEdge]).toBeGreaterThan(0.1);
    expect(r.pre[k + UNITS.verticalEdge]).toBeCloseTo(-r.pre[UNITS.verticalEdge], 4);
    r.pre.forEach((v, i) => expect(r.post[i]).toBe(Math.max(0, v)));
  });
});

describe('tuning curves of hand-made units', () => {
  it('a vertical-edge detector prefers edge orientation 0 (within one step), selectively', async () => {
    const t = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.verticalEdge, stimulus: 'edge' });
    expect(t.orientation.angles).toHaveLength(24);
    expect(t.orientation.angles[1]).toBe(15);
    expect(angleDiff(t.summary.preferredOrientation, 0, 360)).toBeLessThanOrEqual(15);
    expect(t.summary.orientationSelectivity).toBeGreaterThan(0.7);
    expect(t.summary.rotationInvariance).toBeLessThan(0.05);
    const h = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.horizontalEdge, stimulus: 'edge' });
    expect(angleDiff(h.summary.preferredOrientation, 90, 360)).toBeLessThanOrEqual(15);
  });

  it('a vertical-bar detector prefers a line at 90 degrees of about its width', async () => {
    const t = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.verticalLine, stimulus: 'line', widths: [1, 3, 6] });
    expect(t.orientation.angles.at(-1)).toBe(172.5);
    expect(angleDiff(t.summary.preferredOrientation, 90, 180)).toBeLessThanOrEqual(7.5);
    expect(t.summary.preferred).toMatchObject({ kind: 'line', width: 3 });
    expect(t.summary.orientationSelectivity).toBeGreaterThan(0.6);
    expect(t.grid!.rowValues).toEqual([1, 3, 6]);
    expect(t.grid!.post).toHaveLength(3);
    expect(t.summary.orientationPeriod).toBe(180);
  });

  it('an isotropic centre-surround unit is rotation invariant (near 1) and unselective on arcs', async () => {
    const t = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.centreSurround, stimulus: 'arc' });
    expect(t.summary.response.post).toBeGreaterThan(0);
    expect(t.summary.rotationInvariance).toBeGreaterThan(0.9);
    expect(t.summary.orientationSelectivity).toBeLessThan(0.05);
    // ... while the arc detector is not.
    const a = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.arc, stimulus: 'arc' });
    expect(angleDiff(a.summary.preferredOrientation, 0, 360)).toBeLessThanOrEqual(15);
    expect(a.summary.rotationInvariance!).toBeLessThan(0.3);
    expect(a.summary.curveVsLine!).toBeGreaterThan(0);
    expect(a.grid!.rowValues[0]).toBe(0);
    expect(a.grid!.pre).toHaveLength(6);
  });

  it('a ring detector prefers a circle of its radius over ellipses and over its pieces', async () => {
    const t = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.ring, stimulus: 'circle', radii: [1.5, 2.5, 3.5, 4.5, 5.5], widths: [1.5] });
    expect(t.summary.preferred).toMatchObject({ kind: 'circle', radius: 3.5 });
    expect(t.summary.circleVsEllipse!).toBeGreaterThan(0.2);
    expect(t.summary.circleVsArc!).toBeGreaterThan(0.2);
    expect(t.summary.ringVsDisc!).toBeGreaterThan(0.2);
    // Turning a circle changes nothing; the curve turns 90-degree pieces of it, which all drive a ring detector alike.
    expect(t.summary.rotationInvariance!).toBeGreaterThan(0.7);
    expect(t.aspect!.aspects[0]).toBe(1);
    expect(t.aspect!.post[0]).toBe(Math.max(...t.aspect!.post));
    expect(t.aspect!.preByAngle).toHaveLength(4);
    // An ellipse tune of the edge detector finds its orientation too (period 180: 90 = the long axis vertical).
    const e = await tuneUnit(engine, synthSpec, { layer: 'conv', unit: UNITS.verticalLine, stimulus: 'ellipse', radii: [5], widths: [3], steps: 12 });
    expect(angleDiff(e.summary.preferredOrientation, 90, 180)).toBeLessThanOrEqual(15);
    expect(e.grid!.rows).toBe('aspect');
    // What the pipeline writes and the site reads: one schema (generator/pipeline/schema.ts).
    for (const r of [t, e]) expect(TuningJson.safeParse(r).error).toBeUndefined();
    expect(TuningJson.safeParse({ ...t, summary: { ...t.summary, response: undefined } }).success).toBe(false);
  });

  it('refuses unknown stimuli, layers and units with exit-code-2 errors', async () => {
    await expect(tuneUnit(engine, synthSpec, { layer: 'conv', unit: 0, stimulus: 'square' as 'arc' })).rejects.toThrow(/unknown stimulus 'square'/);
    await expect(tuneUnit(engine, synthSpec, { layer: 'nope', unit: 0, stimulus: 'arc' })).rejects.toThrow(AtlasError);
    await expect(tuneUnit(engine, synthSpec, { layer: 'conv', unit: 6, stimulus: 'arc' })).rejects.toThrow(/out of range/);
  });
});
