import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Int8Engine } from '../../bench/int8-engine.ts';
import { cosine } from '../../bench/util.ts';
import type { NdArray } from '../../generator/model/engine.ts';
import { kerasGraphs } from '../../generator/model/graph-net.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import { loadOrt } from '../../generator/model/ort.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { objectiveFor } from '../../generator/optvis/objectives.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';

let fp32: OrtEngine;
let int8: Int8Engine;
let photos: NdArray;
const side = 36;
beforeAll(async () => {
  const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
  fp32 = await OrtEngine.create(vgg19, w, { threads: 1 });
  int8 = new Int8Engine(fp32, kerasGraphs(vgg19, w), await loadOrt(), 1);
  const data = new Float32Array(2 * side * side * 3);
  for (const [b, file] of ['tench_224.png', 'elephant_224.png'].entries()) {
    const raw = await sharp(path.join(FIXTURES(), file)).resize(side, side).removeAlpha().raw().toBuffer();
    data.set(Float32Array.from(raw), b * side * side * 3);
  }
  photos = { data, shape: [2, side, side, 3] };
});

describe('Int8Engine (bench int8)', () => {
  it("follows the wrapped engine's gradient and values, and rescales when an image's activations grow", async () => {
    const layer = 'block3_conv2';
    const objective = objectiveFor('channel', [3, 40]);
    const compare = async (x: NdArray) => {
      const [a, b] = [await fp32.inputGradient(x, layer, objective, { preRelu: true }), await int8.inputGradient(x, layer, objective, { preRelu: true })];
      const per = side * side * 3;
      return {
        cosines: [0, 1].map((k) => cosine(a.grad.data.subarray(k * per, (k + 1) * per), b.grad.data.subarray(k * per, (k + 1) * per))),
        values: [0, 1].map((k) => b.values[k] / a.values[k]),
      };
    };
    // The first call calibrates on an fp32 run of the same images: faint ones, as a render's first steps are.
    const mean = vgg19.preprocessing.mean;
    const faint = { data: photos.data.map((v, i) => mean[2 - (i % 3)] + 0.2 * (v - mean[2 - (i % 3)])), shape: photos.shape };
    const first = await compare(faint);
    // The same units on the photographs: the scales saturate at first, and a few steps later have grown to the new range.
    const saturated = await compare(photos);
    for (let i = 0; i < 3; i++) await compare(photos);
    const later = await compare(photos);
    for (const c of first.cosines) expect(c).toBeGreaterThan(0.85);
    for (const v of first.values) expect(Math.abs(v - 1)).toBeLessThan(0.1);
    expect(Math.max(...saturated.values.map((v) => Math.abs(v - 1)))).toBeGreaterThan(0.2); // the premise: the faint scales clip
    for (const c of later.cosines) expect(c).toBeGreaterThan(0.9);
    for (const v of later.values) expect(v).toBeCloseTo(1, 1);
    // Other layers' objectives and non-linear ones go to the wrapped engine unchanged.
    const neuron = objectiveFor('neuron', [3]);
    const x1 = { data: photos.data.slice(0, side * side * 3), shape: [1, side, side, 3] };
    expect((await int8.inputGradient(x1, layer, neuron, { preRelu: false })).grad.data).toEqual((await fp32.inputGradient(x1, layer, neuron, { preRelu: false })).grad.data);
  });
});
