import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { checkCanvasSize, checkShape, SHAPE_KINDS, type Shape } from '../../generator/stimuli/shapes.ts';

describe('shape checks', () => {
  it('accepts one valid shape of every kind', () => {
    const ok: Shape[] = [
      { kind: 'circle', radius: 3, width: 1 },
      { kind: 'circle', radius: 3, width: 0, filled: true },
      { kind: 'arc', orientation: 0, curvature: 0, length: 10, width: 1 },
      { kind: 'line', orientation: 45, length: 10, width: 0.5, cx: 3, cy: 4 },
      { kind: 'edge', orientation: 90 },
      { kind: 'ellipse', radius: 5, aspect: 0.5, angle: 30, width: 1 },
    ];
    expect([...new Set(ok.map((s) => s.kind))].sort()).toEqual([...SHAPE_KINDS].sort());
    for (const s of ok) expect(() => checkShape(s)).not.toThrow();
  });

  it('names the shape and the bad parameter', () => {
    expect(() => checkShape({ kind: 'circle', radius: -1, width: 1 })).toThrow(AtlasError);
    expect(() => checkShape({ kind: 'circle', radius: -1, width: 1 })).toThrow(/circle: radius must be positive, got -1/);
    expect(() => checkShape({ kind: 'arc', orientation: 0, curvature: -0.1, length: 10, width: 1 })).toThrow(/curvature/);
    expect(() => checkShape({ kind: 'line', orientation: Number.NaN, length: 10, width: 1 })).toThrow(/line: orientation must be a finite number/);
    expect(() => checkShape({ kind: 'edge', orientation: 0, depth: 0 })).toThrow(/edge: depth must be positive/);
    expect(() => checkShape({ kind: 'ellipse', radius: 5, aspect: 0, angle: 0, width: 1 })).toThrow(/aspect/);
    expect(() => checkCanvasSize(2.5)).toThrow(/canvas size must be a positive integer/);
  });
});
