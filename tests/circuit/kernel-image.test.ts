import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { kernelPng, kernelSvg, weightColor } from '../../generator/circuit/kernel-image.ts';

const kernel = [
  [0.5, 0, -0.5],
  [0.25, -1, 0],
  [1, 0.1, -0.25],
];

describe('kernel images', () => {
  it('colour positive red #CE1E34, negative blue #0571B0, zero white, by |w| on the given scale', () => {
    expect(weightColor(1, 1)).toEqual([0xce, 0x1e, 0x34]);
    expect(weightColor(-1, 1)).toEqual([0x05, 0x71, 0xb0]);
    expect(weightColor(0, 1)).toEqual([255, 255, 255]);
    expect(weightColor(2, 1)).toEqual([0xce, 0x1e, 0x34]); // beyond the scale: saturated
    expect(weightColor(0.5, 1)).toEqual([Math.round((255 + 0xce) / 2), Math.round((255 + 0x1e) / 2), Math.round((255 + 0x34) / 2)]);
    expect(weightColor(0.5, 0)).toEqual([255, 255, 255]); // an all-zero unit: no division by zero
  });

  it('writes an SVG with one crisp rect per cell, row = y', () => {
    const svg = kernelSvg(kernel, { maxAbs: 1, cell: 10 });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="30" height="30" viewBox="0 0 3 3"/);
    expect(svg).toContain('shape-rendering="crispEdges"');
    expect(svg.match(/<rect /g)).toHaveLength(9);
    expect(svg).toContain('<rect x="1" y="1" width="1" height="1" fill="#0571b0"/>'); // -1 at (y=1, x=1)
    expect(svg).toContain('<rect x="0" y="2" width="1" height="1" fill="#ce1e34"/>'); // +1 at (y=2, x=0)
    expect(svg).toContain('<rect x="1" y="0" width="1" height="1" fill="#ffffff"/>'); // 0 at (y=0, x=1)
  });

  it('writes a PNG of the right size whose cells are flat colours (no smoothing)', async () => {
    const cell = 8;
    const png = await kernelPng(kernel, { maxAbs: 1, cell });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([24, 24, 3]);
    const at = (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
    kernel.forEach((row, ky) =>
      row.forEach((v, kx) => {
        // Every pixel of the cell, its edges included, has the cell's colour.
        for (const [dx, dy] of [[0, 0], [cell - 1, 0], [0, cell - 1], [cell - 1, cell - 1], [cell / 2, cell / 2]]) {
          expect(at(kx * cell + dx, ky * cell + dy)).toEqual(weightColor(v, 1));
        }
      }),
    );
    // Without a scale, the kernel's own max |w| saturates.
    const own = await sharp(await kernelPng([[0.2, -0.1]], { cell: 1 })).raw().toBuffer();
    expect([...own]).toEqual([0xce, 0x1e, 0x34, ...weightColor(-0.5, 1)]);
  });
});
