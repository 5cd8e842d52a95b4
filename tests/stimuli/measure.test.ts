// The probe on the real VGG19: the default small canvas gives exactly the 224x224 values, and a canvas
// that cuts the receptive field does not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { autoSize, measure, probeFor, type Stimulus } from '../../generator/stimuli/measure.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

let engine: OrtEngine;
beforeAll(async () => {
  engine = await OrtEngine.create(vgg19, await readKerasWeights(NOTOP_WEIGHTS(), vgg19));
});
afterAll(() => engine.dispose());

const stimuli: Stimulus[] = [
  { shapes: { kind: 'arc', orientation: 33, curvature: 0.1, length: 20, width: 2 } },
  { shapes: { kind: 'circle', radius: 9, width: 3 }, color: [0, 0, 0] },
  { shapes: { kind: 'line', orientation: 70, length: 200, width: 2, cx: 5, cy: -3 } },
  { shapes: { kind: 'ellipse', radius: 15, aspect: 0.4, angle: 20, width: 2 }, color: [1, 0.3, 0] },
];

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  a.forEach((v, i) => {
    d = Math.max(d, Math.abs(v - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  });
  return d / m;
}

describe('probe on VGG19', () => {
  it('picks the unit nearest the canvas centre and a canvas holding its receptive field', () => {
    const p = probeFor(vgg19, 'block3_conv4', 224);
    expect(p).toMatchObject({ size: 224, position: [27, 27], centre: [110, 110], channels: 256, relu: true, rfInside: true });
    expect(probeFor(vgg19, 'block3_conv4', 'auto')).toMatchObject({ size: 64, centre: [30, 30], rfInside: true });
    expect(probeFor(vgg19, 'block2_pool', 'auto')).toMatchObject({ size: 32, relu: false });
    expect(autoSize({ size: 48, stride: 4, offset: 2 })).toBe(64);
    expect(probeFor(vgg19, 'block3_conv4', 40).rfInside).toBe(false);
    expect(() => probeFor(vgg19, 'fc1', 'auto')).toThrow(/not a spatial/);
    expect(() => probeFor(vgg19, 'block4_conv1', 'auto', engine.layers())).toThrow(/not in the loaded weights/);
  });

  for (const layer of ['block2_conv2', 'block2_pool', 'block3_conv4']) {
    it(`${layer}: the auto canvas gives the 224x224 values (grey and noise backgrounds), a cut field does not`, async () => {
      for (const background of [undefined, { kind: 'noise' as const, seed: 5 }]) {
        const small = await measure(engine, probeFor(vgg19, layer, 'auto'), stimuli, null, { background });
        const full = await measure(engine, probeFor(vgg19, layer, 224), stimuli, null, { background });
        expect(maxRelDiff(small.pre, full.pre)).toBeLessThan(1e-6);
      }
      // The largest canvas (a multiple of 2 strides) smaller than the receptive field.
      const rf = probeFor(vgg19, layer, 'auto').rf;
      const cut = probeFor(vgg19, layer, 2 * rf.stride * Math.floor((rf.size - 1) / (2 * rf.stride)));
      expect(cut.rfInside).toBe(false);
      const a = await measure(engine, cut, stimuli, null);
      const b = await measure(engine, probeFor(vgg19, layer, 224), stimuli, null);
      expect(maxRelDiff(a.pre, b.pre)).toBeGreaterThan(1e-3);
    });
  }
});
