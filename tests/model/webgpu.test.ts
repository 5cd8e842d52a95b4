// onnxruntime's WebGPU execution provider for real. CI installs Mesa's lavapipe (a software Vulkan
// device), so the GPU provider's own kernels run the engine's graphs here: the forward, the pruned
// gradient graphs (channel and neuron objectives, the redirected ReLU), the diversity graph and an
// imported ONNX classifier must give what the CPU provider gives. Speed is not measured here: a software
// adapter is far slower than the CPU provider; only a real GPU says what WebGPU is worth.
import { describe, expect, it } from 'vitest';
import { examplesForLayers } from '../../generator/dataset/index.ts';
import { probeProvider } from '../../generator/model/device.ts';
import type { NdArray } from '../../generator/model/engine.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { loadModel } from '../../generator/model/load.ts';
import { OrtEngine } from '../../generator/model/ort-engine.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { diversityOrt } from '../../generator/optvis/diversity-ort.ts';
import { objectiveFor } from '../../generator/optvis/objectives.ts';
import { randomArray } from '../helpers/h5.ts';
import { relL2 } from '../helpers/compare.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { SAMPLE, tempDir } from '../dataset/fixtures.ts';
import { captureStderr } from '../helpers/stderr.ts';

const probe = await probeProvider('webgpu');
// CI provides an adapter (.ci/run installs lavapipe): there a missing one is a failure, not a skip.
const required = !!process.env.CI;
const available = probe.status === 'ok';
const why = probe.status === 'ok' ? '' : probe.status === 'absent' ? probe.missing : probe.error;

const randomImages = (n: number, size: number, seed: number): NdArray => ({ data: randomArray(n * size * size * 3, seed, 127).map((v) => v + 128), shape: [n, size, size, 3] });

describe('a WebGPU adapter', () => {
  it.runIf(required)('is there in CI (lavapipe), so the tests below run', () => {
    expect(probe, `no WebGPU adapter in CI: ${why}`).toEqual({ status: 'ok' });
  });
});

describe.skipIf(!available)(`the engine on onnxruntime's WebGPU provider${available ? '' : ` (skipped: ${why})`}`, () => {
  const engines = async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    return Promise.all([OrtEngine.create(vgg19, w, { threads: 1 }), OrtEngine.create(vgg19, w, { threads: 1, device: 'webgpu' })]);
  };

  it('is named onnxruntime-webgpu and computes the CPU provider\'s activations (relative L2 <= 1e-5)', { timeout: 300_000 }, async () => {
    const [cpu, gpu] = await engines();
    expect([cpu.name, gpu.name]).toEqual(['onnxruntime', 'onnxruntime-webgpu']);
    const x = randomImages(2, 41, 3);
    const layers = ['block1_conv2', 'block2_pool', 'block3_conv4'];
    const [a, b] = await Promise.all([cpu.activations(x, layers, { preRelu: true }), gpu.activations(x, layers, { preRelu: true })]);
    for (const l of layers) {
      expect(b.get(l)!.shape, l).toEqual(a.get(l)!.shape);
      expect(relL2(b.get(l)!.data, a.get(l)!.data), l).toBeLessThanOrEqual(1e-5);
    }
    cpu.dispose();
    gpu.dispose();
  });

  it('computes its pruned input gradients: channel with the redirected ReLU, pre-ReLU, and the neuron window', { timeout: 300_000 }, async () => {
    const [cpu, gpu] = await engines();
    // As in ort-engine.test.ts: block2_conv1:13 fires on the noise image, :40 on the flat one, so two of
    // the four views are silent and take the redirected gradient.
    const size = 48;
    const noise = randomImages(1, size, 7).data;
    const flat = new Float32Array(size * size * 3).fill(128);
    const x = { data: Float32Array.from([...noise, ...flat, ...noise, ...flat]), shape: [4, size, size, 3] };
    const cases = [
      { layer: 'block2_conv1', objective: objectiveFor('channel', [13, 13, 40, 40], { relu: true }), opts: { redirect: true } },
      { layer: 'block3_conv4', objective: objectiveFor('channel', [166, 8, 21, 200]), opts: { preRelu: true } },
      { layer: 'block3_conv2', objective: objectiveFor('neuron', [45, 109, 173, 205], { relu: true }), opts: { redirect: true } },
    ];
    for (const { layer, objective, opts } of cases) {
      const a = await cpu.inputGradient(x, layer, objective, opts);
      const b = await gpu.inputGradient(x, layer, objective, opts);
      expect(Math.max(...a.grad.data.map(Math.abs)), layer).toBeGreaterThan(0);
      expect(relL2(b.grad.data, a.grad.data), layer).toBeLessThanOrEqual(1e-5);
      a.values.forEach((v, i) => expect(Math.abs(b.values[i] - v), `${layer} view ${i}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
    }
    cpu.dispose();
    gpu.dispose();
  });

  it('runs the diversity graph to the same values and gradient', { timeout: 120_000 }, async () => {
    const act = { data: randomArray(4 * 3 * 3 * 8, 11, 1).map(Math.abs), shape: [4, 3, 3, 8] };
    const [a, b] = [await diversityOrt(4, act, 'cpu'), await diversityOrt(4, act, 'webgpu')];
    expect(relL2(b.values, a.values)).toBeLessThanOrEqual(1e-5);
    expect(relL2(b.grad, a.grad)).toBeLessThanOrEqual(1e-5);
  });

  it('runs the dataset pass (two workers asked for: one runs, WebGPU being the process\'s) to the CPU\'s examples', { timeout: 300_000 }, async () => {
    const run = async (device: 'cpu' | 'webgpu') =>
      (await examplesForLayers({ model: { engine: 'onnxruntime', device }, dataset: SAMPLE(), imageLimit: 8, layers: ['block2_conv1'], out: tempDir('webgpu-ds-'), top: 3, workers: 2, quiet: true })).get('block2_conv1')!;
    const [a, b] = [await run('cpu'), await run('webgpu')];
    expect(b.images).toBe(8);
    for (const [i, u] of a.units.entries()) {
      expect(b.units[i].top.map((e) => e.image), `unit ${i}`).toEqual(u.top.map((e) => e.image));
      u.top.forEach((e, k) => expect(Math.abs(b.units[i].top[k].activation - e.activation), `unit ${i}`).toBeLessThanOrEqual(1e-4 * Math.max(1, e.activation)));
    }
  });

  const stderr = captureStderr();

  it('runs an imported ONNX classifier (SqueezeNet 1.1) to the same logits and top-5, and its gradients (those through its overlapping max pools on the CPU, saying so)', { timeout: 300_000 }, async () => {
    // One after the other: both start tfjs's backend.
    const cpu = await loadModel({ model: 'squeezenet1.1', engine: 'onnxruntime', device: 'cpu' });
    const gpu = await loadModel({ model: 'squeezenet1.1', engine: 'onnxruntime', device: 'webgpu' });
    expect(gpu.engine.name).toBe('onnxruntime-webgpu');
    const logits = cpu.engine.layers().at(-1)!;
    const x = randomImages(2, 224, 5);
    const [a, b] = [(await cpu.engine.activations(x, [logits])).get(logits)!, (await gpu.engine.activations(x, [logits])).get(logits)!];
    expect(relL2(b.data, a.data)).toBeLessThanOrEqual(1e-5);
    const top5 = (d: Float32Array, i: number) => [...d.subarray(i * 1000, (i + 1) * 1000)].map((v, k) => [v, k]).sort((p, q) => q[0] - p[0]).slice(0, 5).map((p) => p[1]);
    for (const i of [0, 1]) expect(top5(b.data, i)).toEqual(top5(a.data, i));
    // Before its first pool the gradient graph runs on WebGPU; through one, MaxPool's indices are needed.
    for (const layer of ['conv1', 'fire4_squeeze1x1']) {
      const objective = objectiveFor('channel', [3, 5]);
      const ga = await cpu.engine.inputGradient(x, layer, objective, { preRelu: true });
      const gb = await gpu.engine.inputGradient(x, layer, objective, { preRelu: true });
      expect(relL2(gb.grad.data, ga.grad.data), layer).toBeLessThanOrEqual(1e-5);
    }
    expect(stderr.lines.filter((l) => l.startsWith('warning'))).toEqual([
      "warning: onnxruntime's WebGPU provider cannot run MaxPool's indices (the adjoint of overlapping max pools); using the CPU for such gradient graphs",
    ]);
    cpu.engine.dispose();
    gpu.engine.dispose();
  });
});
