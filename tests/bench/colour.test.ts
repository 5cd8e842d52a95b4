import { describe, expect, it } from 'vitest';
import { colourStats } from '../../bench/colour.ts';

const image = (pixels: Array<[number, number, number]>) => Uint8Array.from(pixels.flat());

describe('colourStats', () => {
  it('is 0 for greys, whatever their brightness', () => {
    const s = colourStats(image([[0, 0, 0], [128, 128, 128], [255, 255, 255]]));
    expect(s.colourfulness).toBe(0);
    expect(s.saturation).toBe(0);
    expect(s.clipped).toBeCloseTo(2 / 3, 12);
  });

  it('counts the channel values at either end as clipped', () => {
    // 255, 0 and 0 clipped of the first pixel's three; none of the second's.
    expect(colourStats(image([[255, 0, 0], [1, 254, 128]])).clipped).toBe(3 / 6);
    expect(colourStats(image([[255, 0, 7], [1, 254, 128]])).clipped).toBe(2 / 6);
  });

  it("a uniform colour scores 0.3 x the length of its (rg, yb) vector, no spread; saturation HSV's", () => {
    // rg = 200, yb = 100 - 0 = 100: 0.3 * sqrt(200² + 100²).
    const s = colourStats(image([[200, 0, 0], [200, 0, 0]]));
    expect(s.colourfulness).toBeCloseTo(0.3 * Math.hypot(200, 100), 9);
    expect(s.saturation).toBe(1);
  });

  it('alternating complementary colours score their spread, not their (zero) mean', () => {
    // Red and cyan: rg = ±255, yb = ±127.5: means 0, standard deviations 255 and 127.5.
    const s = colourStats(image([[255, 0, 0], [0, 255, 255]]));
    expect(s.colourfulness).toBeCloseTo(Math.hypot(255, 127.5), 9);
    expect(s.saturation).toBe(1);
  });

  it('reads RGBA as RGB and rejects an empty image', () => {
    const rgba = Uint8Array.from([200, 0, 0, 7, 200, 0, 0, 255]);
    expect(colourStats(rgba, 4).colourfulness).toBeCloseTo(0.3 * Math.hypot(200, 100), 9);
    expect(() => colourStats(new Uint8Array(0))).toThrow(/no pixels/);
  });
});
