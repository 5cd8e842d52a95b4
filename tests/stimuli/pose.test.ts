// Pose invariance on real images: the turns are the right ones, and on the real VGG19 the turned window
// gives exactly what the whole photo turned gives at the turned position (block3's grid is symmetric at
// 224 px: field centres 2 + 4i, so turning the photo maps position i to 55 - i).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../generator/model/image.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { POSES, type Pose, poseInvariance, poseSource } from '../../generator/stimuli/pose.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';

describe('poseSource', () => {
  const turn = (p: Pose, grid: number[][]) => grid.map((row, r) => row.map((_, c) => { const [sr, sc] = poseSource(p, r, c, grid.length); return grid[sr][sc]; }));
  const g = [
    [1, 2, 3],
    [4, 5, 6],
    [7, 8, 9],
  ];
  it('turns clockwise and mirrors left-right', () => {
    expect(turn('rot90', g)).toEqual([
      [7, 4, 1],
      [8, 5, 2],
      [9, 6, 3],
    ]);
    expect(turn('rot180', g)).toEqual([
      [9, 8, 7],
      [6, 5, 4],
      [3, 2, 1],
    ]);
    expect(turn('rot270', g)).toEqual(turn('rot90', turn('rot180', g)));
    expect(turn('mirror', g)).toEqual([
      [3, 2, 1],
      [6, 5, 4],
      [9, 8, 7],
    ]);
    expect(turn('identity', g)).toEqual(g);
    expect(turn('rot90', turn('rot90', turn('rot90', turn('rot90', g))))).toEqual(g);
  });
});

describe('poseInvariance on VGG19', () => {
  let engine: OrtEngine;
  beforeAll(async () => {
    engine = await OrtEngine.create(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19));
  });
  afterAll(() => engine.dispose());

  it('gives, for each pose, the value the whole photo turned gives at the turned position', async () => {
    const file = path.join(FIXTURES(), 'tench_224.png');
    const img = await loadImage(file, 224);
    const n = 224;
    // The whole photo turned, in pixel space (HWC), by the same source map.
    const turned = (p: Pose) => {
      const out = new Float32Array(n * n * 3);
      for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
        const [sr, sc] = poseSource(p, r, c, n);
        for (let k = 0; k < 3; k++) out[(r * n + c) * 3 + k] = img.data[(sr * n + sc) * 3 + k];
      }
      return out;
    };
    const layer = 'block3_conv4';
    const unit = 166;
    const acts = await engine.activations({ data: Float32Array.from(POSES.flatMap((p) => [...turned(p)])), shape: [POSES.length, n, n, 3] }, [layer], { preRelu: true });
    const a = acts.get(layer)!;
    const [, h, w, ch] = a.shape;
    const at = (b: number, x: number, y: number) => Math.max(0, a.data[((b * h + y) * w + x) * ch + unit]);
    // The unit's 3 strongest interior positions (the 48 px field inside the photo: centres 2 + 4i, i in 6..49).
    const interior: Array<readonly [number, number]> = [];
    for (let y = 6; y <= 49; y++) for (let x = 6; x <= 49; x++) interior.push([x, y]);
    const positions = interior.sort((p, q) => at(0, q[0], q[1]) - at(0, p[0], p[1])).slice(0, 3);
    for (const [x, y] of positions) expect(at(0, x, y)).toBeGreaterThan(0);
    const r = await poseInvariance(engine, vgg19, { layer, unit, examples: positions.map(([x, y]) => ({ image: file, x, y, activation: at(0, x, y) })) });
    expect(r.poses).toEqual([...POSES]);
    expect(r.window).toBe(48);
    const last = h - 1;
    // Where position (x, y) goes when the photo is turned clockwise, turned half, anticlockwise, mirrored.
    const moved: Record<Pose, (x: number, y: number) => [number, number]> = {
      identity: (x, y) => [x, y],
      rot90: (x, y) => [last - y, x],
      rot180: (x, y) => [last - x, last - y],
      rot270: (x, y) => [y, last - x],
      mirror: (x, y) => [last - x, y],
    };
    r.examples.forEach((e, j) => {
      POSES.forEach((p, i) => {
        const [mx, my] = moved[p](positions[j][0], positions[j][1]);
        const want = at(i, mx, my);
        expect(Math.abs(e.post[i] - want) / Math.max(1, Math.abs(want)), `${p} at ${positions[j]}`).toBeLessThan(1e-4);
      });
    });
    expect(r.reproduced).toBeCloseTo(1, 5);
    expect(r.weakest).toBe(Math.min(r.retained.rot90, r.retained.rot180, r.retained.rot270, r.retained.mirror));
    for (const p of POSES) expect(r.retained[p]).toBeCloseTo(median(r.examples.map((e) => e.post[POSES.indexOf(p)] / e.post[0])), 6);
    expect(r.edge).toBe(0);
  });

  it("leaves out examples whose field runs past the photo's edge, counts them, and refuses when none is left", async () => {
    const file = path.join(FIXTURES(), 'tench_224.png');
    // block3_conv4's 48 px fields are inside the 224 px photo for grid positions 6..49.
    const ex = (x: number, y: number) => ({ image: file, x, y, activation: 1 });
    const r = await poseInvariance(engine, vgg19, { layer: 'block3_conv4', unit: 166, examples: [ex(0, 30), ex(30, 30), ex(49, 6), ex(50, 30), ex(30, 55)] });
    expect(r.examples.map((e) => [e.x, e.y])).toEqual([[30, 30], [49, 6]]);
    expect(r.edge).toBe(3);
    await expect(poseInvariance(engine, vgg19, { layer: 'block3_conv4', unit: 166, examples: [ex(5, 30), ex(30, 0)] })).rejects.toThrow(/all 2 top dataset examples peak where the receptive field runs past the photo's edge/);
  });
});

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
