import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { coverage } from '../../generator/stimuli/coverage.ts';
import { parseColor, renderStimulus } from '../../generator/stimuli/render.ts';
import type { Shape } from '../../generator/stimuli/shapes.ts';

describe('renderStimulus', () => {
  it('returns HWC RGB at the requested size (224 by default)', () => {
    expect(renderStimulus({ kind: 'circle', radius: 20, width: 2 })).toHaveLength(224 * 224 * 3);
    expect(renderStimulus({ kind: 'line', orientation: 10, length: 20, width: 1 }, { size: 37 })).toHaveLength(37 * 37 * 3);
    expect(coverage({ kind: 'edge', orientation: 0 }, 50)).toHaveLength(2500);
  });

  it('keeps every value in [0, 1] for every shape, colour, contrast and background', () => {
    const shapes: Shape[] = [
      { kind: 'circle', radius: 30, width: 3 },
      { kind: 'circle', radius: 20, width: 0, filled: true, cx: 40, cy: 50 },
      { kind: 'arc', orientation: 123, curvature: 0.05, length: 60, width: 2.5 },
      { kind: 'line', orientation: 77, length: 500, width: 0.7 },
      { kind: 'edge', orientation: 200 },
      { kind: 'ellipse', radius: 40, aspect: 0.3, angle: 15, width: 2 },
      { kind: 'ellipse', radius: 25, aspect: 0.6, angle: 100, width: 0, filled: true, cx: 150, cy: 60 },
    ];
    for (const bg of [undefined, { kind: 'noise' as const, seed: 7, amplitude: 0.6, color: true }]) {
      for (const [color, contrast] of [[[1, 1, 1], 1], [[0, 0, 0], 1], [[1, 0.2, 0], 0.5]] as const) {
        const img = renderStimulus(shapes, { size: 160, background: bg, color: [...color], contrast });
        let lo = Infinity;
        let hi = -Infinity;
        for (const v of img) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(hi - lo).toBeGreaterThan(0.2);
      }
    }
  });

  it('draws foreground = background + contrast * coverage * (colour - background) on grey 0.5', () => {
    const img = renderStimulus({ kind: 'circle', radius: 30, width: 0, filled: true }, { size: 100, color: [1, 0, 0.25], contrast: 0.5 });
    const centre = (50 * 100 + 50) * 3;
    expect([img[centre], img[centre + 1], img[centre + 2]].map((v) => +v.toFixed(6))).toEqual([0.75, 0.25, 0.375]);
    expect([img[0], img[1], img[2]]).toEqual([0.5, 0.5, 0.5]);
  });

  it('refuses bad shapes and options with an AtlasError', () => {
    expect(() => renderStimulus({ kind: 'circle', radius: -1, width: 1 })).toThrow(AtlasError);
    expect(() => renderStimulus({ kind: 'edge', orientation: 0 }, { contrast: 2 })).toThrow(/contrast/);
    expect(() => renderStimulus({ kind: 'edge', orientation: 0 }, { size: 0 })).toThrow(/size/);
  });

  it('parses colour names and r,g,b triples, and refuses anything else', () => {
    expect(parseColor('Black')).toEqual([0, 0, 0]);
    expect(parseColor('1,0.5,0')).toEqual([1, 0.5, 0]);
    expect(() => parseColor('purple')).toThrow(AtlasError);
  });
});
