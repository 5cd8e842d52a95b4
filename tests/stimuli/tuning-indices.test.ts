import { describe, expect, it } from 'vitest';
import { argmax, circleVsEllipse, contrastIndex, orientationSelectivity, orientationSummary, rotationInvariance } from '../../generator/stimuli/tuning-indices.ts';
import type { AspectSweep } from '../../generator/stimuli/tuning-result.ts';

describe('summary indices', () => {
  it('orientation selectivity is 1 for a single angle, 0 for a flat curve; doubled angle for period 180', () => {
    const a = [0, 90, 180, 270];
    expect(orientationSelectivity(a, [1, 0, 0, 0], 360)).toBeCloseTo(1, 9);
    expect(orientationSelectivity(a, [1, 1, 1, 1], 360)).toBeCloseTo(0, 9);
    expect(orientationSelectivity([0, 45, 90, 135], [1, 0, 1, 0], 180)).toBeCloseTo(0, 9);
    expect(orientationSelectivity([0, 45, 90, 135], [1, 0, 0, 0], 180)).toBeCloseTo(1, 9);
    expect(orientationSelectivity(a, [0, 0, 0, 0], 360)).toBeNull();
    expect(rotationInvariance([2, 1, 4])).toBe(0.25);
    expect(rotationInvariance([0, 0])).toBeNull();
  });

  it('contrast indices run from -1 to 1, null when neither side responds', () => {
    expect(contrastIndex(3, 1)).toBe(0.5);
    expect(contrastIndex(0, 2)).toBe(-1);
    expect(contrastIndex(0, 0)).toBeNull();
    expect(argmax([1, 5, 5, 2])).toBe(1);
  });

  it('orientation summary: preferred angle by pre-ReLU, indices rounded to 4 decimals', () => {
    const s = orientationSummary({ angles: [0, 90, 180, 270], pre: [-1, 3, 2, 0], post: [0, 3, 2, 0], stimulus: {} }, 360);
    expect(s.preferredOrientation).toBe(90);
    expect(s.orientationPeriod).toBe(360);
    expect(s.rotationInvariance).toBe(0);
    expect(s.orientationSelectivity).toBe(Math.round((Math.hypot(-2, 3) / 5) * 1e4) / 1e4);
  });

  it('circle vs ellipse compares the circle with the best oval (aspect <= 0.7) only', () => {
    const sweep = { aspects: [1, 0.8, 0.7, 0.5], post: [9, 8, 2, 1] } as AspectSweep;
    expect(circleVsEllipse(sweep, 6)).toBe(0.5);
    expect(circleVsEllipse({ ...sweep, aspects: [1, 0.9], post: [9, 8] }, 6)).toBeNull();
  });
});
