import { describe, expect, it } from 'vitest';
import { initBackend } from '../../generator/model/backend.ts';
import { createImageModel, TfjsImageModel } from '../../generator/optvis/image-model.ts';
import { initSpectrum } from '../../generator/optvis/param.ts';
import { prng } from '../../generator/optvis/random.ts';
import { randomArray } from '../helpers/h5.ts';

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('image models (spectra -> RGB and back)', () => {
  for (const size of [16, 15]) {
    it(`onnxruntime's forward and derived adjoint equal tfjs's forward and autodiff, ${size} px`, async () => {
      await initBackend('wasm');
      const n = 2;
      // Larger than the initial spectra, so that the sigmoid is well away from linear.
      const spectrum = initSpectrum(n, size, size, (i) => prng(40 + i), 0.5);
      const ort = await createImageModel(n, size, { use: 'onnxruntime' });
      const tfm = new TfjsImageModel(n, size, 1);
      expect(ort.name).toBe('onnxruntime');
      const a = await ort.forward(spectrum);
      const b = await tfm.forward(spectrum);
      expect(a.length).toBe(n * size * size * 3);
      expect(maxAbs(b.map((v) => v - 0.5))).toBeGreaterThan(0.2);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
      const dRgb = randomArray(a.length, size, 1);
      const ga = await ort.backward(spectrum, a, dRgb);
      const gb = await tfm.backward(spectrum, b, dRgb);
      expect(ga.length).toBe(spectrum.length);
      expect(maxAbsDiff(ga, gb) / maxAbs(gb)).toBeLessThan(1e-4);
      tfm.dispose();
    });
  }

  it('the onnxruntime adjoint matches finite differences of sum(rgb * r)', async () => {
    const n = 1;
    const size = 12;
    const model = await createImageModel(n, size, { use: 'onnxruntime' });
    const s0 = initSpectrum(n, size, size, () => prng(5), 0.3);
    const r = randomArray(n * size * size * 3, 6, 1);
    const f = async (s: Float32Array) => (await model.forward(s)).reduce((acc, v, i) => acc + v * r[i], 0);
    const g = await model.backward(s0, await model.forward(s0), r);
    const eps = 1e-2;
    // DC, a low and a high frequency, real and imaginary parts.
    const per = 3 * size * 7;
    for (const idx of [0, 8, 7 * 3 + 2, per - 1, per + 8, per + 5 * 7 + 3]) {
      const plus = Float32Array.from(s0);
      const minus = Float32Array.from(s0);
      plus[idx] += eps;
      minus[idx] -= eps;
      expect(g[idx]).toBeCloseTo(((await f(plus)) - (await f(minus))) / (2 * eps), 3);
    }
  });

  it('auto picks onnxruntime here; tfjs can be asked for', async () => {
    expect((await createImageModel(1, 8)).name).toBe('onnxruntime');
    expect((await createImageModel(1, 8, { use: 'tfjs' })).name).toBe('tfjs');
  });
});
