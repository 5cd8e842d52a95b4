import path from 'node:path';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { calibrate, quantizeConvs, withCalibrationOutputs } from '../../bench/int8-graph.ts';
import { cosine } from '../../bench/util.ts';
import { kerasGraphs } from '../../generator/model/graph-net.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { loadOrt, ortSessionOptions } from '../../generator/model/ort.ts';
import { layerShapes, vgg19 } from '../../generator/model/spec.ts';
import { FIXTURES, NOTOP_WEIGHTS } from '../helpers/shared.ts';

const { onnx } = onnxProto;

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) [d, n] = [d + (a[i] - b[i]) ** 2, n + a[i] ** 2];
  return Math.sqrt(d / n);
}

describe('quantizeConvs (bench int8)', () => {
  it('puts the 3x3 convs of >= 64 channels in QLinearConv, chains them in u8, and keeps the gradient and the biases', async () => {
    const ort = await loadOrt();
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const [side, batch, layer, units] = [36, 2, 'block3_conv3', [3, 40]];
    const graph = graphs.gradient(layer, 'pre', units, [side, side], batch).bytes;
    const ops = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);
    const count = (bytes: Uint8Array, op: string) => ops(bytes).filter((o) => o === op).length;
    const plain = quantizeConvs(graph);
    const chained = quantizeConvs(graph, { chainBackward: true });
    for (const int8 of [plain, chained]) {
      // block1_conv2 .. block3_conv2 and their adjoints; not block1_conv1 (3 channels in) nor block3_conv3 (fed weights).
      expect([int8.forward, int8.backward]).toEqual([5, 5]);
      expect(count(int8.bytes, 'QLinearConv')).toBe(10);
    }
    expect(count(plain.bytes, 'Relu')).toBe(count(graph, 'Relu') - 5); // the chained convs' ReLU is the u8 clamp
    expect(count(plain.bytes, 'Conv')).toBe(count(graph, 'Conv') - 10);
    expect(count(plain.bytes, 'DynamicQuantizeLinear')).toBe(6); // block1_conv2's input, every adjoint's
    // Chained: the 4 ReLU masks and 2 pool routings between adjoints are u8 products, their float ops gone
    // (block1_conv1's ReLU and the mask read from it stay); quantized once at block1_conv2 and at the first adjoint.
    expect(count(chained.bytes, 'QLinearMul')).toBe(6);
    expect(count(chained.bytes, 'Relu')).toBe(1);
    expect(count(chained.bytes, 'DynamicQuantizeLinear')).toBe(2);

    const [h, wd] = layerShapes(vgg19, side).get(layer)!;
    const seed = new Float32Array(batch * h * wd * batch);
    for (let b = 0; b < batch; b++) for (let p = 0; p < h * wd; p++) seed[(b * h * wd + p) * batch + b] = 1;
    const opts = ortSessionOptions(1);
    const run = async (int8: typeof plain, pixels: Float32Array) => {
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
        images: new ort.Tensor('float32', pixels, [batch, side, side, 3]),
        grad: new ort.Tensor('float32', seed, [batch, h, wd, batch]),
      };
      for (const [name, v] of graphs.feeds(layer, units)) feeds[name] = new ort.Tensor('float32', v.data, v.dims);
      const calibration = await (await ort.InferenceSession.create(withCalibrationOutputs(graph, int8.scales), opts)).run(feeds);
      const qFeeds = { ...feeds };
      calibrate(int8.scales, calibration).forEach((v, i) => (qFeeds[int8.scales[i].input] = new ort.Tensor('float32', Float32Array.of(v), [])));
      const [fp, q] = [await (await ort.InferenceSession.create(graph, opts)).run(feeds), await (await ort.InferenceSession.create(int8.bytes, opts)).run(qFeeds)];
      const per = side * side * 3;
      const grad = (r: typeof fp, b: number) => (r.input_grad.data as Float32Array).subarray(b * per, (b + 1) * per);
      return { grads: Array.from({ length: batch }, (_, b) => cosine(grad(fp, b), grad(q, b))), activation: relErr(fp.activation.data as Float32Array, q.activation.data as Float32Array) };
    };
    const photos = new Float32Array(batch * side * side * 3);
    for (const [b, file] of ['tench_224.png', 'elephant_224.png'].entries()) {
      const raw = await sharp(path.join(FIXTURES(), file)).resize(side, side).removeAlpha().raw().toBuffer();
      photos.set(Float32Array.from(raw), b * side * side * 3);
    }
    // An image at the preprocessing mean (zero after it) plus a faint pattern: the activations are mostly the
    // biases', so a bias dropped or scaled wrong shows.
    const flat = Float32Array.from({ length: batch * side * side * 3 }, (_, i) => vgg19.preprocessing.mean[2 - (i % 3)] + Math.sin(i / 7));
    for (const int8 of [plain, chained]) {
      const real = await run(int8, photos);
      const biased = await run(int8, flat);
      for (const c of real.grads) expect(c).toBeGreaterThan(0.85);
      expect(real.activation).toBeLessThan(0.015);
      expect(biased.activation).toBeLessThan(0.04);
    }
  });
});
