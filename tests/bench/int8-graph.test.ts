import path from 'node:path';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { quantizeConvs, scaleFrom, withCalibrationOutputs } from '../../bench/int8-graph.ts';
import { kerasGraphs } from '../../generator/model/graph-net.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { loadOrt, ortSessionOptions } from '../../generator/model/ort.ts';
import { layerShapes, vgg19 } from '../../generator/model/spec.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';

const { onnx } = onnxProto;

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) [dot, na, nb] = [dot + a[i] * b[i], na + a[i] * a[i], nb + b[i] * b[i]];
  return dot / Math.sqrt(na * nb);
}

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) [d, n] = [d + (a[i] - b[i]) ** 2, n + a[i] ** 2];
  return Math.sqrt(d / n);
}

describe('quantizeConvs (bench int8)', () => {
  it('puts the 3x3 convs of >= 64 channels in QLinearConv, forward chained in u8, and keeps the gradient close to fp32', async () => {
    const ort = await loadOrt();
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const [side, batch, layer, units] = [36, 2, 'block2_conv2', [3, 40]];
    const graph = graphs.gradient(layer, true, units, [side, side], batch).bytes;
    const int8 = quantizeConvs(graph);
    // Forward block1_conv2 and block2_conv1 (block2_conv2 runs on fed weights), and their two adjoints; not block1_conv1 (3 channels in).
    expect([int8.forward, int8.backward]).toEqual([2, 2]);
    const ops = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);
    const count = (bytes: Uint8Array, op: string) => ops(bytes).filter((o) => o === op).length;
    expect(count(int8.bytes, 'QLinearConv')).toBe(4);
    expect(count(int8.bytes, 'Conv')).toBe(count(graph, 'Conv') - 4);
    expect(count(int8.bytes, 'Relu')).toBe(count(graph, 'Relu') - 2); // the chained convs' ReLU is the u8 clamp

    const [h, wd] = layerShapes(vgg19, side).get(layer)!;
    const seed = new Float32Array(batch * h * wd * batch);
    for (let b = 0; b < batch; b++) for (let p = 0; p < h * wd; p++) seed[(b * h * wd + p) * batch + b] = 1;
    const opts = ortSessionOptions(1);
    const run = async (pixels: Float32Array) => {
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        images: new ort.Tensor('float32', pixels, [batch, side, side, 3]),
        grad: new ort.Tensor('float32', seed, [batch, h, wd, batch]),
      };
      for (const [name, v] of graphs.feeds(layer, units)) feeds[name] = new ort.Tensor('float32', v.data, v.dims);
      const calibration = await (await ort.InferenceSession.create(withCalibrationOutputs(graph, int8.scales), opts)).run(feeds);
      const qFeeds = { ...feeds };
      for (const s of int8.scales) qFeeds[s.input] = new ort.Tensor('float32', Float32Array.of(scaleFrom(calibration[s.calibrateOn].data as Float32Array, s)), []);
      const [fp, q] = [await (await ort.InferenceSession.create(graph, opts)).run(feeds), await (await ort.InferenceSession.create(int8.bytes, opts)).run(qFeeds)];
      const per = side * side * 3;
      const grad = (r: typeof fp, b: number) => (r.input_grad.data as Float32Array).subarray(b * per, (b + 1) * per);
      return { grads: Array.from({ length: batch }, (_, b) => cosine(grad(fp, b), grad(q, b))), activation: relErr(fp.activation.data as Float32Array, q.activation.data as Float32Array) };
    };
    // Two photographs: the input gradient within the rounding's reach of fp32's, the activation within 1.5% (RMS).
    const photos = new Float32Array(batch * side * side * 3);
    for (const [b, file] of ['tench_224.png', 'elephant_224.png'].entries()) {
      const raw = await sharp(path.join(FIXTURES(), file)).resize(side, side).removeAlpha().raw().toBuffer();
      photos.set(Float32Array.from(raw), b * side * side * 3);
    }
    const real = await run(photos);
    for (const c of real.grads) expect(c).toBeGreaterThan(0.85);
    expect(real.activation).toBeLessThan(0.015);
    // An image at the preprocessing mean (zero after it) plus a faint pattern: the activations are mostly the
    // biases', so a bias dropped or scaled wrong shows.
    const flat = Float32Array.from({ length: batch * side * side * 3 }, (_, i) => vgg19.preprocessing.mean[2 - (i % 3)] + Math.sin(i / 7));
    const biased = await run(flat);
    expect(biased.activation).toBeLessThan(0.04);
  });
});
