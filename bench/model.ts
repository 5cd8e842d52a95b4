// Foundation benchmark: VGG19 forward and input-gradient costs on the current tfjs backend.
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../generator/model/load.ts';
import { TfjsEngine } from '../generator/model/tfjs-engine.ts';
import { peakRssMb, row, timeMedian } from './util.ts';

export async function benchModel(): Promise<void> {
  const { spec, weights, engine, backend } = await loadModel({ backend: 'wasm', engine: 'tfjs' });
  console.log(`\n# model (backend ${backend.name}, ${engine.name})`);
  const layer = 'block3_conv4';
  const img224 = { data: new Float32Array(224 * 224 * 3).map((_, i) => (i * 37) % 255), shape: [1, 224, 224, 3] };
  const fwd = await timeMedian(() => engine.activations(img224, [layer]), 5);
  row(`forward, 1 image 224x224, up to ${layer}`, `${fwd.toFixed(0)} ms/image`);
  const x128 = tf.tensor4d(new Float32Array(128 * 128 * 3).map((_, i) => (i * 53) % 255), [1, 128, 128, 3]);
  const objective = (a: tf.Tensor) => tf.mean(tf.slice(a, [0, 0, 0, 8], [-1, -1, -1, 1]), [1, 2, 3]) as tf.Tensor1D;
  const fast = engine as TfjsEngine;
  const slow = new TfjsEngine(spec, weights, { fastConvGrad: false });
  const step = (e: TfjsEngine) => () => {
    const { grad, values } = e.gradientTensor(x128, layer, objective);
    grad.dataSync();
    grad.dispose();
    values.dispose();
  };
  const tFast = await timeMedian(step(fast), 5);
  const tSlow = await timeMedian(step(slow), 3);
  row(`forward+backward, 1 image 128x128, up to ${layer}, custom conv gradient`, `${tFast.toFixed(0)} ms/step`);
  row(`forward+backward, 1 image 128x128, up to ${layer}, tf.grad (Conv2DBackpropInput)`, `${tSlow.toFixed(0)} ms/step (${(tSlow / tFast).toFixed(1)}x slower)`);
  const ort = (await loadModel({ backend: 'wasm', engine: 'onnxruntime' })).engine;
  const ortFwd = await timeMedian(() => ort.activations(img224, [layer]), 5);
  row(`onnxruntime: forward, 1 image 224x224, up to ${layer}`, `${ortFwd.toFixed(0)} ms/image (${(fwd / ortFwd).toFixed(1)}x faster than tfjs-wasm)`);
  ort.dispose();
  row('peak RSS so far', `${peakRssMb()} MB`);
  slow.dispose();
  x128.dispose();
}
