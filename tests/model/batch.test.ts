import { describe, expect, it } from 'vitest';
import { stackImages } from '../../generator/model/batch.ts';

const image = (w: number, h: number, v: number) => ({ width: w, height: h, data: new Float32Array(w * h * 3).fill(v) });

describe('stackImages', () => {
  it('stacks same-size photos into one NHWC batch, in order', () => {
    const b = stackImages([image(2, 3, 1), image(2, 3, 2)]);
    expect(b.shape).toEqual([2, 3, 2, 3]);
    expect([b.data[0], b.data[17], b.data[18], b.data[35]]).toEqual([1, 1, 2, 2]);
  });

  it('refuses photos of different sizes, naming the odd one', () => {
    expect(() => stackImages([image(2, 2, 0), image(3, 2, 0)])).toThrow(/image 1 is 3x2, the first 2x2/);
  });
});
