// The tuning plots' geometry (src/lib/tuning-plot.ts): the radial curve is the numbers scaled, on the
// stimulus renderer's angle convention (counter-clockwise from +x, y down in SVG).
import { describe, expect, it } from 'vitest';
import { polarCurve, polarPoint, sweepPoints } from '../../src/lib/tuning-plot.ts';

describe('polarPoint', () => {
  it('puts 0° right, 90° up, 180° left, 270° down', () => {
    expect(polarPoint(50, 50, 10, 0)).toEqual([60, 50]);
    expect(polarPoint(50, 50, 10, 90)).toEqual([50, 40]);
    expect(polarPoint(50, 50, 10, 180)).toEqual([40, 50]);
    expect(polarPoint(50, 50, 10, 270)).toEqual([50, 60]);
  });
});

describe('polarCurve', () => {
  it('scales the largest response to the radius and closes the path', () => {
    const p = polarCurve([0, 90, 180, 270], [2, 4, 1, 0], 360, 50, 50, 40);
    expect(p.max).toBe(4);
    expect(p.points).toEqual([
      [70, 50],
      [50, 10],
      [40, 50],
      [50, 50],
    ]);
    expect(p.path).toBe('M70,50 L50,10 L40,50 L50,50 Z');
  });

  it('draws a 180°-periodic curve at both angle and angle + 180', () => {
    const p = polarCurve([0, 90], [1, 1], 180, 0, 0, 10);
    expect(p.points).toEqual([
      [10, 0],
      [0, -10],
      [-10, 0],
      [0, 10],
    ]);
  });

  it('clamps negative responses to 0 and draws nothing for a silent unit', () => {
    expect(polarCurve([0, 180], [-3, 0], 360, 0, 0, 10)).toEqual({ path: '', points: [], max: 0 });
    expect(polarCurve([0, 180], [-3, 5], 360, 0, 0, 10).points[0]).toEqual([0, 0]);
  });

  it('rejects mismatched lists', () => {
    expect(() => polarCurve([0, 90], [1], 360, 0, 0, 10)).toThrow(/2 angles but 1 values/);
  });
});

describe('sweepPoints', () => {
  it('puts the largest x (aspect 1) left and scales y from the bottom', () => {
    expect(sweepPoints([1, 0.5, 0.3], [10, 5, 0], [0, 0, 70, 100], 10)).toEqual([
      [0, 0],
      [50, 50],
      [70, 100],
    ]);
  });
});
