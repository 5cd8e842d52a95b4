import { describe, expect, it } from 'vitest';
import { cropNhwc, inputWindow, pasteNhwc, support } from '../../generator/model/input-window.ts';
import { layerShapes, vgg19 } from '../../generator/model/spec.ts';

describe('input windows (spatial pruning)', () => {
  it("covers a block3_conv4 neuron's 48 px field, on the layer's stride of 4", () => {
    // 140 px -> block3_conv4 is 35 x 35; its centre (17, 17) reads input pixels 46..93 (field 48 px).
    expect(layerShapes(vgg19, [140, 140]).get('block3_conv4')!.slice(0, 2)).toEqual([35, 35]);
    expect(inputWindow(vgg19, 'block3_conv4', [140, 140], [17, 17], [17, 17])).toEqual({ top: 44, left: 44, height: 52, width: 52, row: 11, col: 11 });
    // A block2 layer: stride 2, field 14 px (block2_conv2); a block1 layer: stride 1, field 5 px.
    expect(inputWindow(vgg19, 'block2_conv2', [64, 64], [16, 16], [16, 16])).toEqual({ top: 26, left: 26, height: 14, width: 14, row: 13, col: 13 });
    expect(inputWindow(vgg19, 'block1_conv2', [64, 64], [32, 32], [32, 32])).toEqual({ top: 30, left: 30, height: 5, width: 5, row: 30, col: 30 });
  });

  it('stops at the image edges, and gives up when the window would be the whole input', () => {
    // Position 0 reads from pixel -22: clipped to 0; the last position of an odd side runs to the edge.
    expect(inputWindow(vgg19, 'block3_conv4', [139, 139], [0, 0], [33, 33])).toMatchObject({ top: 0, height: 28, left: 108, width: 31, row: 0, col: 27 });
    expect(inputWindow(vgg19, 'block3_conv4', [48, 48], [6, 6], [6, 6])).toBeNull();
    expect(inputWindow(vgg19, 'block3_conv4', [140, 140], [0, 34], [0, 34])).toBeNull();
    expect(inputWindow({ ...vgg19, graph: {} as never }, 'block3_conv4', [140, 140], [17, 17], [17, 17])).toBeNull();
  });

  it('finds the positions a gradient touches, and crops and pastes NHWC arrays', () => {
    const g = new Float32Array(2 * 5 * 6 * 3);
    g[((0 * 5 + 1) * 6 + 4) * 3 + 2] = 1;
    g[((1 * 5 + 3) * 6 + 2) * 3 + 0] = -2;
    expect(support(g, [2, 5, 6, 3])).toEqual({ rows: [1, 3], cols: [2, 4] });
    expect(support(new Float32Array(10 * 3), [1, 2, 5, 3])).toBeNull();
    const x = Float32Array.from({ length: 2 * 5 * 6 * 3 }, (_, i) => i);
    const c = cropNhwc(x, [2, 5, 6, 3], 1, 2, 3, 2);
    expect(Array.from(c.slice(0, 6))).toEqual([(6 + 2) * 3, (6 + 2) * 3 + 1, (6 + 2) * 3 + 2, (6 + 3) * 3, (6 + 3) * 3 + 1, (6 + 3) * 3 + 2]);
    const back = pasteNhwc(c, [2, 5, 6, 3], 1, 2, 3, 2);
    x.forEach((v, i) => {
      const [n, rest] = [Math.floor(i / 90), i % 90];
      const [y, xx] = [Math.floor(rest / 18), Math.floor((rest % 18) / 3)];
      expect(back[i]).toBe(y >= 1 && y < 4 && xx >= 2 && xx < 4 ? v : 0);
      expect(n).toBeLessThan(2);
    });
  });
});
