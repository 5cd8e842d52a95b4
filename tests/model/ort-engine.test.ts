import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../generator/model/backend.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { channel, neuron, objectiveFor } from '../../generator/optvis/objectives.ts';
import type { Objective } from '../../generator/model/engine.ts';
import { kerasGraphs } from '../../generator/model/graph-net.ts';
import { loadModel } from '../../generator/model/load.ts';
import { OrtEngine, prunedPixelBudget } from '../../generator/model/ort-engine.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { TfjsEngine } from '../../generator/model/tfjs-engine.ts';
import { render } from '../../generator/optvis/render.ts';
import { warpSides } from '../../generator/optvis/parts.ts';
import { FULL_RECIPE, transformsOf } from '../../generator/optvis/recipes.ts';
import { randomArray } from '../helpers/h5.ts';
import { relL2 } from '../helpers/compare.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';
import { tiny, tinyLayers } from '../helpers/tiny.ts';

let ort: OrtEngine;
let unpruned: OrtEngine;
let tfe: TfjsEngine;
beforeAll(async () => {
  await initBackend('wasm');
  const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
  ort = await OrtEngine.create(vgg19, w);
  unpruned = await OrtEngine.create(vgg19, w, { pruneChannels: false });
  tfe = new TfjsEngine(vgg19, w);
});

/** Both engines' input gradients of `objective` at `layer`: relative L2 <= 1e-3, values within 1e-4. */
async function expectSameGradient(x: { data: Float32Array; shape: number[] }, layer: string, objective: Objective, preRelu: boolean) {
  const a = await ort.inputGradient(x, layer, objective, { preRelu });
  const b = await tfe.inputGradient(x, layer, objective, { preRelu });
  expect(a.grad.shape).toEqual(x.shape);
  expect(Math.max(...b.grad.data.map(Math.abs))).toBeGreaterThan(0);
  expect(relL2(a.grad.data, b.grad.data)).toBeLessThanOrEqual(1e-3);
  a.values.forEach((v, i) => expect(Math.abs(v - b.values[i]) / Math.abs(b.values[i])).toBeLessThan(1e-4));
}

/** A batch of n random images of side `size` in [1, 255]. */
const randomImages = (n: number, size: number, seed: number) => ({ data: randomArray(n * size * size * 3, seed, 127).map((v) => v + 128), shape: [n, size, size, 3] });

describe('onnxruntime input gradients', () => {
  const objective = (a: tf.Tensor) => tf.mean(tf.slice(a, [0, 0, 0, 5], [-1, -1, -1, 1]), [1, 2, 3]) as tf.Tensor1D;
  // Odd sizes make the pools drop a row and a column (49 -> 24 -> 12).
  for (const [layer, size] of [['block1_conv2', 40], ['block2_pool', 48], ['block2_pool', 49], ['block3_conv4', 96]] as const) {
    for (const preRelu of [true, false]) {
      it(`equal tfjs's on random inputs: ${layer} at ${size} px, ${preRelu ? 'pre' : 'post'}-ReLU (relative error <= 1e-3)`, async () => {
        await expectSameGradient(randomImages(2, size, size + (preRelu ? 1 : 0)), layer, objective, preRelu);
      });
    }
  }

  for (const [name, objective] of [['channel', channel([5, 9])], ['neuron', neuron([7, 5])]] as const) {
    it(`a linear objective (${name}) takes the one-run path and gives tfjs's gradient`, async () => {
      expect(objective.linear).toBeDefined();
      await expectSameGradient(randomImages(2, 64, 17), 'block3_conv1', objective, true);
    });
  }

  it('a non-linear objective with its own gradient (diversity) gives tfjs\'s input gradient', async () => {
    const objective = objectiveFor('diversity', [3, 3, 3, 3]);
    expect(objective.linear).toBeUndefined();
    expect(objective.evaluate).toBeDefined();
    await expectSameGradient(randomImages(4, 48, 23), 'block2_conv2', objective, true);
  });

  it('differentiates through the dense head too (the differentiator has rules for Flatten, MatMul, Add, Softmax): equal to tfjs on a tiny spec', async () => {
    const layers = new Map(
      tinyLayers(0.3)
        .filter((l) => l.weights)
        .map((l) => [l.name, { kernel: l.weights![0].data, kernelShape: l.weights![0].shape, bias: l.weights![1].data }]),
    );
    const [o, t] = [await OrtEngine.create(tiny, { layers }), new TfjsEngine(tiny, { layers })];
    const x = randomImages(2, 8, 5);
    for (const layer of ['fc1', 'predictions']) {
      const unit = (a: tf.Tensor) => tf.sum(tf.slice(a, [0, 1], [-1, 1]), 1) as tf.Tensor1D;
      const [a, b] = [await o.inputGradient(x, layer, unit, { preRelu: true }), await t.inputGradient(x, layer, unit, { preRelu: true })];
      expect(Math.max(...b.grad.data.map(Math.abs))).toBeGreaterThan(0);
      expect(relL2(a.grad.data, b.grad.data)).toBeLessThanOrEqual(1e-4);
    }
    o.dispose();
    t.dispose();
  });
});

describe('feature visualization on both engines', () => {
  it('reaches the same activation within 2% with the same seed', async () => {
    const req = { layer: 'block2_conv2', size: 48, steps: 32, lr: 0.05, seed: 3, objective: 'channel' as const, units: [5, 77], imageIndex: [0, 0] };
    const a = await render(ort, req);
    const b = await render(tfe, req);
    a.images.forEach((im, i) => {
      expect(im.activation.mean).toBeGreaterThan(1);
      expect(Math.abs(im.activation.mean - b.images[i].activation.mean) / b.images[i].activation.mean).toBeLessThan(0.02);
    });
  });
});

describe('channel-pruned gradient graphs (linear objectives)', () => {
  // block2_conv1 and block3_conv1 come right after a pool; 49 px makes the pools drop a row and a column.
  for (const layer of ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block3_conv4']) {
    for (const [name, objective] of [['channel', channel([9, 5])], ['neuron', neuron([7, 7])]] as const) {
      it(`give the full graph's input gradient and values: ${layer}, ${name} (relative L2 <= 1e-5)`, async () => {
        expect(objective.channels).toEqual(name === 'channel' ? [5, 9] : [7]);
        const x = randomImages(2, 49, layer.length);
        const a = await ort.inputGradient(x, layer, objective, { preRelu: true });
        const b = await unpruned.inputGradient(x, layer, objective, { preRelu: true });
        expect(Math.max(...b.grad.data.map(Math.abs))).toBeGreaterThan(0);
        expect(relL2(a.grad.data, b.grad.data)).toBeLessThanOrEqual(1e-5);
        a.values.forEach((v, i) => expect(Math.abs(v - b.values[i])).toBeLessThanOrEqual(1e-5 * Math.abs(b.values[i])));
      });
    }
  }

  it("a post-ReLU objective (relu) runs pruned through the layer's ReLU: tfjs's gradient of the ReLU applied to the pre-ReLU activation", async () => {
    for (const layer of ['block2_conv2', 'block3_conv1']) {
      const objective = channel([9, 5], { relu: true });
      expect(objective.postRelu).toBe(true);
      expect(objective.channels).toEqual([5, 9]);
      const x = randomImages(2, 49, 31);
      const a = await ort.inputGradient(x, layer, objective, { preRelu: false });
      // The same function without its shortcuts: tfjs autodiffs it, ReLU included, on the pre-ReLU activation.
      const b = await tfe.inputGradient(x, layer, (t: tf.Tensor) => objective(t), { preRelu: true });
      expect(Math.max(...b.grad.data.map(Math.abs))).toBeGreaterThan(0);
      expect(relL2(a.grad.data, b.grad.data)).toBeLessThanOrEqual(1e-3);
      a.values.forEach((v, i) => expect(Math.abs(v - b.values[i]) / Math.abs(b.values[i])).toBeLessThan(1e-4));
    }
  });

  it('redirect a post-ReLU objective\'s silent views to the pre-ReLU gradient in the same run (pruned, full graph and tfjs), the rest as without it', async () => {
    // block2_conv1:13 fires on this noise image and not on the flat one, :40 the other way round (looked up
    // with the engine's activations; checked below): views 1 and 2 are silent, and at the centre view 0 too.
    const size = 48;
    const noise = randomImages(1, size, 7).data;
    const flat = new Float32Array(size * size * 3).fill(128);
    const x = { data: Float32Array.from([...noise, ...flat, ...noise, ...flat]), shape: [4, size, size, 3] };
    const units = [13, 13, 40, 40];
    const per = size * size * 3;
    const view = (g: Float32Array, i: number) => g.subarray(i * per, (i + 1) * per);
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const built: string[] = [];
    const counting = await OrtEngine.fromGraphs(vgg19, { ...graphs, gradient: (...a: Parameters<typeof graphs.gradient>) => (built.push(a[1]), graphs.gradient(...a)) });
    // The neuron objective runs on its input window (pruned engine): the redirect there too.
    for (const [make, on] of [[channel, [true, false, false, true]], [neuron, [false, false, false, true]]] as const) {
      const post = make(units, { relu: true });
      const pre = make(units);
      built.length = 0;
      for (const [name, engine] of [['pruned', counting], ['full graph', unpruned], ['tfjs', tfe]] as const) {
        const what = `${make.name}, ${name}`;
        const r = await engine.inputGradient(x, 'block2_conv1', post, { redirect: true });
        const a = await engine.inputGradient(x, 'block2_conv1', post);
        const b = await engine.inputGradient(x, 'block2_conv1', pre, { preRelu: true });
        expect([...a.values].map((v) => v > 0), what).toEqual(on);
        expect(r.values, what).toEqual(a.values);
        const views = [0, 1, 2, 3];
        for (const i of views.filter((k) => on[k])) expect(relL2(view(r.grad.data, i), view(a.grad.data, i)), `${what}, view ${i}`).toBeLessThanOrEqual(1e-6);
        for (const i of views.filter((k) => !on[k])) {
          expect(Math.max(...view(a.grad.data, i).map(Math.abs)), `${what}, view ${i} without redirect`).toBe(0);
          expect(Math.max(...view(b.grad.data, i).map(Math.abs)), `${what}, view ${i} pre-ReLU`).toBeGreaterThan(0);
          expect(relL2(view(r.grad.data, i), view(b.grad.data, i)), `${what}, view ${i}`).toBeLessThanOrEqual(1e-6);
        }
      }
      // One graph run each: the redirecting graph is the only one built for it.
      expect(built, make.name).toEqual(['redirect', 'post', 'pre']);
    }
    // It reads the objective's value off the seed, which only a linear objective declares.
    const post = channel(units, { relu: true });
    await expect(ort.inputGradient(x, 'block2_conv1', (t: tf.Tensor) => post(t), { redirect: true })).rejects.toThrow(/redirected ReLU gradient needs a linear objective/);
  });

  it("a neuron's gradient on its input window equals the whole input's, at every input side a render sees (and runs on a small window)", async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const built: number[] = [];
    const counting = { ...graphs, gradient: (...a: Parameters<typeof graphs.gradient>) => (built.push(a[3][0]), graphs.gradient(...a)) };
    const windowed = await OrtEngine.fromGraphs(vgg19, counting);
    const whole = await OrtEngine.create(vgg19, w, { pruneWindows: false });
    // Even and odd sides (pools dropping a row), the centre position and an off-centre one near an edge.
    for (const [layer, side, objective] of [
      ['block3_conv4', 140, neuron([7, 166])],
      ['block3_conv4', 139, neuron([7, 7])],
      ['block3_conv1', 75, neuron([3, 9])],
      ['block2_conv2', 66, neuron([5, 5])],
    ] as const) {
      built.length = 0;
      const x = randomImages(2, side, side);
      const a = await windowed.inputGradient(x, layer, objective, { preRelu: true });
      const b = await whole.inputGradient(x, layer, objective, { preRelu: true });
      expect(built.length, `${layer} at ${side}`).toBe(1);
      expect(built[0], `${layer} at ${side}: window side`).toBeLessThan(side / 2);
      expect(Math.max(...b.grad.data.map(Math.abs))).toBeGreaterThan(0);
      expect(relL2(a.grad.data, b.grad.data), `${layer} at ${side}`).toBeLessThanOrEqual(1e-5);
      a.values.forEach((v, i) => expect(Math.abs(v - b.values[i])).toBeLessThanOrEqual(1e-5 * Math.abs(b.values[i])));
    }
    windowed.dispose();
    whole.dispose();
  });

  it('are what loadModel builds unless told otherwise: its options reach the engine (the bench compares through them)', async () => {
    for (const [opts, prune, windows] of [[{}, true, true], [{ pruneChannels: false }, false, false], [{ pruneWindows: false }, true, false]] as const) {
      const { engine } = await loadModel({ engine: 'onnxruntime', weights: NOTOP_WEIGHTS(), ...opts });
      expect(engine).toBeInstanceOf(OrtEngine);
      expect([(engine as OrtEngine)['prune'], (engine as OrtEngine)['windows']], JSON.stringify(opts)).toEqual([prune, windows]);
      engine.dispose();
    }
  });

  it('serve every channel set of a size from one session, each fed its own weights', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    let builds = 0;
    const e = await OrtEngine.fromGraphs(vgg19, { ...graphs, gradient: (...a: Parameters<typeof graphs.gradient>) => (builds++, graphs.gradient(...a)) });
    const x = randomImages(2, 36, 36);
    for (const units of [[3, 70], [70, 3], [5, 127], [3, 70]]) {
      const got = await e.inputGradient(x, 'block2_conv2', channel(units), { preRelu: true });
      const want = await unpruned.inputGradient(x, 'block2_conv2', channel(units), { preRelu: true });
      expect(relL2(got.grad.data, want.grad.data), units.join(',')).toBeLessThanOrEqual(1e-5);
      got.values.forEach((v, i) => expect(Math.abs(v - want.values[i])).toBeLessThanOrEqual(1e-4 * Math.abs(want.values[i])));
    }
    expect(builds).toBe(1);
    e.dispose();
  });

  it('stay right when more channel sets run at once than the engine keeps sessions for', async () => {
    const x = randomImages(1, 40, 5);
    const sets = [0, 1, 2, 3, 4, 5, 6, 7].map((u) => channel([u]));
    const got = await Promise.all(sets.map((o) => ort.inputGradient(x, 'block2_conv2', o, { preRelu: true })));
    for (const [i, o] of sets.entries()) {
      const want = await unpruned.inputGradient(x, 'block2_conv2', o, { preRelu: true });
      expect(relL2(got[i].grad.data, want.grad.data)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('keep the gradient sessions used last within a pixel budget: every side of a render when they fit, the least recently used out first', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const built: string[] = [];
    const counting = { ...graphs, gradient: (...a: Parameters<typeof graphs.gradient>) => (built.push(`${a[2]}@${a[3][0]}`), graphs.gradient(...a)) };
    const sides = [20, 21, 22, 23, 24, 25];
    // Room for one image at all six sides and a bit (3,255 pixels).
    const e = await OrtEngine.fromGraphs(vgg19, counting, { keepPixels: sides.reduce((s, x) => s + x * x, 0) + 200 });
    const step = (units: number[], side: number) => e.inputGradient(randomImages(units.length, side, side), 'block1_conv2', channel(units), { preRelu: true });
    for (const side of [...sides, ...sides]) await step([1], side); // six sides, twice: each built once
    expect(built).toEqual(sides.map((s) => `1@${s}`));
    await step([2], 20); // another channel, as many: the session of 1@20, fed channel 2's weights
    expect(built).toHaveLength(6);
    await step([1, 2], 20); // two channels (800 pixels): evicts 21 and 22, the least recently used, to make room
    await step([1], 25);
    await step([1], 21); // rebuilt; evicts 23
    await step([1], 23);
    expect(built.slice(6)).toEqual(['1,2@20', '1@21', '1@23']);
    e.dispose();
  });

  // The pruned conv's adjoint is a Conv on a kernel flipped in the graph from fed weights (NCHW) where the
  // full graph runs one on a flipped constant (NCHWc): the sums run in another order, and 24 Adam steps carry that to 3e-4..3e-3 of a
  // pixel (seen); under 1/255, so their PNGs differ by one level at most.
  it('render the same feature visualizations for the same seed (pixels within one 8-bit level)', async () => {
    const req = { layer: 'block2_conv1', size: 48, steps: 24, lr: 0.05, seed: 1, objective: 'channel' as const, units: [3, 40], imageIndex: [0, 0] };
    const a = await render(ort, req);
    const b = await render(unpruned, req);
    a.images.forEach((im, i) => {
      let d = 0;
      im.pixels.forEach((v, k) => (d = Math.max(d, Math.abs(v - b.images[i].pixels[k]))));
      expect(d).toBeLessThanOrEqual(1 / 255);
      expect(im.activation.pre.mean / b.images[i].activation.pre.mean).toBeCloseTo(1, 2); // within 0.5% (0.17% seen)
    });
  });
});

describe('the pruned sessions an engine keeps', () => {
  const GiB = 2 ** 30;
  // Every input side the full recipe's transforms draw, at its batch of 4: what a batch's render asks for.
  const fullSides = [...new Set(warpSides(FULL_RECIPE.size, transformsOf(FULL_RECIPE), 0, FULL_RECIPE.steps))];
  const fullPixels = fullSides.reduce((s, side) => s + FULL_RECIPE.batch * side * side, 0);

  it('hold every side of a full-recipe batch on a 16 GiB machine, fewer (never below 4 of them) on a small one or shared by workers', () => {
    expect(fullSides.length).toBeGreaterThanOrEqual(10);
    expect(prunedPixelBudget(16 * GiB)).toBeGreaterThanOrEqual(fullPixels);
    expect(prunedPixelBudget(24 * GiB, 2)).toBeLessThan(prunedPixelBudget(24 * GiB));
    expect(prunedPixelBudget(16 * GiB, 2)).toBeLessThan(fullPixels);
    const four = 4 * FULL_RECIPE.batch * 144 * 144;
    expect(prunedPixelBudget(2 * GiB)).toBe(four);
    expect(prunedPixelBudget(8 * GiB, 4)).toBe(four);
  });
});
