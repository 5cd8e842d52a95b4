import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../generator/model/engine.ts';
import { encodePng } from '../../generator/model/image.ts';
import { loadModel } from '../../generator/model/load.ts';
import { render } from '../../generator/optvis/render.ts';
import { planBatches, visualize, writeImages } from '../../generator/optvis/visualize.ts';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

let engine: Engine;
beforeAll(async () => {
  process.env.ATLAS_MODELS_DIR = path.join(SHARED_DIR, 'models');
  engine = (await loadModel({ backend: 'wasm' })).engine;
});

const base = { layer: 'block1_conv2', size: 32, steps: 24, lr: 0.05, seed: 0 };

describe('render', () => {
  it('raises the unit\'s activation far above its start (channel), and lowers it (negative)', async () => {
    const up = await render(engine, { ...base, objective: 'channel', units: [3, 40], imageIndex: [0, 0], curveEvery: 8 });
    for (const im of up.images) {
      expect(im.curve).toHaveLength(4); // steps 0, 8, 16 and the end
      expect(im.curve[3]).toBeGreaterThan(im.curve[0] * 2 + 1);
      expect(im.activation.mean).toBeCloseTo(im.curve[3], 3);
      expect(im.pixels.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    const down = await render(engine, { ...base, objective: 'negative', units: [3], imageIndex: [0], curveEvery: 8 });
    expect(down.images[0].curve[3]).toBeLessThanOrEqual(down.images[0].curve[0]);
  });

  // Both engines, each with its own image side: the promise holds per (engine, image side).
  it.each([
    ['onnxruntime', 'onnxruntime'],
    ['tfjs', 'tfjs'],
  ] as const)('gives the same PNG bytes for the same seed, whatever else shares the batch, and others for another seed (%s engine, %s image side)', async (engineName, imageModel) => {
    const e = engineName === 'tfjs' ? (await loadModel({ backend: 'wasm', engine: 'tfjs' })).engine : engine;
    expect(e.name).toMatch(engineName === 'tfjs' ? /^tfjs-wasm$/ : /^onnxruntime/);
    const req = { ...base, steps: 6, objective: 'channel' as const, imageModel };
    const alone = await render(e, { ...req, units: [7], imageIndex: [0] });
    const after = await render(e, { ...req, units: [5, 7], imageIndex: [0, 0] });
    const before = await render(e, { ...req, units: [7, 12, 40], imageIndex: [0, 0, 0] });
    const other = await render(e, { ...req, seed: 1, units: [7], imageIndex: [0] });
    // The promise is about the files the atlas writes: compare encoded PNGs, byte for byte.
    const png = (im: { pixels: Float32Array }) => encodePng(im.pixels, base.size, base.size);
    const sha = async (im: { pixels: Float32Array }) => createHash('sha256').update(await png(im)).digest('hex');
    const reference = await sha(alone.images[0]);
    expect((await png(alone.images[0])).equals(await png(after.images[1]))).toBe(true);
    expect(await sha(before.images[0])).toBe(reference);
    expect(await sha(other.images[0])).not.toBe(reference);
    expect(await sha(after.images[0])).not.toBe(reference); // another unit in the same batch
    if (e !== engine) e.dispose();
  });

  it('reports the pre-ReLU value the objective optimizes: below zero for negative, where post-ReLU reads 0', async () => {
    const down = (await render(engine, { ...base, objective: 'negative', units: [3], imageIndex: [0], curveEvery: 8 })).images[0];
    const { pre } = down.activation;
    expect(down.curvePre).toHaveLength(4);
    expect(down.curvePre[3]).toBeLessThan(down.curvePre[0]);
    expect(pre.mean).toBeLessThan(0);
    expect(pre.mean).toBeCloseTo(down.curvePre[3], 3);
    expect(pre.min).toBeLessThanOrEqual(pre.centre);
    expect(pre.centre).toBeLessThanOrEqual(pre.max);
    // Post-ReLU from the same forward: max(0, pre-ReLU) position by position.
    expect(down.activation.max).toBe(Math.max(0, pre.max));
    expect(down.activation.mean).toBeGreaterThanOrEqual(Math.max(0, pre.mean));
    // Independently: the engine's own post-ReLU activation of the final image.
    const x = { data: down.pixels.map((v) => v * 255), shape: [1, base.size, base.size, 3] };
    const post = (await engine.activations(x, [base.layer])).get(base.layer)!;
    const c = post.shape[3];
    const values = Array.from({ length: post.data.length / c }, (_, p) => post.data[p * c + 3]);
    expect(down.activation.max).toBe(Math.max(...values));
    expect(down.activation.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 4);
  });

  it('optimizes post-ReLU values with `relu`: the engine is asked for the post-ReLU activation, and gets the post-ReLU mean up', async () => {
    const asked: boolean[] = [];
    const spy: Engine = Object.assign(Object.create(engine) as Engine, {
      inputGradient: (...a: Parameters<Engine['inputGradient']>) => (asked.push(!!a[3]?.preRelu), engine.inputGradient(...a)),
    });
    const req = { ...base, layer: 'block2_conv2', size: 40, steps: 32, objective: 'channel' as const, units: [5], imageIndex: [0], curveEvery: 8 };
    const post = (await render(spy, { ...req, objectiveOptions: { relu: true } })).images[0];
    expect(asked.length).toBe(32);
    expect(asked.every((pre) => !pre)).toBe(true);
    await render(spy, req);
    expect(asked.slice(32).every((pre) => pre)).toBe(true);
    expect(post.curve[4]).toBeGreaterThan(post.curve[0] * 2 + 1);
  });

  it('gives a unit silent on the initial image the pre-ReLU gradient until it fires (post-ReLU: it would stay grey), in the same network run', async () => {
    const asked: { preRelu: boolean; redirect: boolean }[] = [];
    const silent: boolean[] = [];
    const spy: Engine = Object.assign(Object.create(engine) as Engine, {
      inputGradient: async (...a: Parameters<Engine['inputGradient']>) => {
        asked.push({ preRelu: !!a[3]?.preRelu, redirect: !!a[3]?.redirect });
        const g = await engine.inputGradient(...a);
        silent.push(!(g.values[0] > 0));
        return g;
      },
    });
    // block3_conv2:52 is off at every position of its initial 48 px image (and of the grid recipe's 64 px one).
    const r = await render(spy, { ...base, layer: 'block3_conv2', size: 48, steps: 16, lr: 0.5, objective: 'channel', units: [52], imageIndex: [0], curveEvery: 8, objectiveOptions: { relu: true } });
    const im = r.images[0];
    expect(im.curve[0]).toBe(0);
    // One network run a step, post-ReLU, redirecting; the result counts the steps it redirected (the bench reports it).
    expect(asked).toEqual(Array.from({ length: 16 }, () => ({ preRelu: false, redirect: true })));
    expect(silent[0]).toBe(true);
    expect(r.redirected).toBe(silent.filter(Boolean).length);
    expect(r.redirected).toBeLessThan(16);
    expect(im.activation.mean).toBeGreaterThan(100);
    // Not for the objectives it would mislead: negative (already at its minimum when off).
    asked.length = 0;
    await render(spy, { ...base, layer: 'block3_conv2', size: 48, steps: 2, objective: 'negative', units: [52], imageIndex: [0], objectiveOptions: { relu: true } });
    expect(asked.every((o) => !o.redirect)).toBe(true);
  });

  it('fails before any work for a unit out of range or a layer the weights lack', async () => {
    await expect(render(engine, { ...base, objective: 'channel', units: [64], imageIndex: [0] })).rejects.toThrow(/unit\(s\) 64 out of range for block1_conv2: it has units 0..63/);
    // The one layer check (model/weights-check.ts): a prefix file's missing layer gets the way to the full file, a typo does not.
    const missing = render(engine, { ...base, layer: 'block4_conv1', objective: 'channel', units: [0], imageIndex: [0] });
    await expect(missing).rejects.toThrow(/layer block4_conv1 is not in the loaded weights; layers to visualize: block1_conv1, .*block3_conv4$/);
    await expect(missing).rejects.toMatchObject({ hint: expect.stringMatching(/fetch-model/) });
    const typo = render(engine, { ...base, layer: 'block3conv4', objective: 'channel', units: [0], imageIndex: [0] });
    await expect(typo).rejects.toThrow(/unknown layer 'block3conv4' for vgg19; layers to visualize: /);
    await expect(render(engine, { ...base, layer: 'block3_pool', objective: 'channel', units: [0], imageIndex: [0] })).rejects.toThrow(/block3_pool is a pool layer/);
  });
});

describe('visualize', () => {
  it('keeps each diversity unit\'s 4 images in one batch', () => {
    const reqs = planBatches({ ...base, units: [1, 2, 3], objective: 'diversity', batch: 8 });
    expect(reqs.map((r) => r.units)).toEqual([[1, 1, 1, 1, 2, 2, 2, 2], [3, 3, 3, 3]]);
    expect(reqs[0].imageIndex).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
  });

  it('renders over 2 workers the same images as in process, and names files <layer>_<unit>_<objective>[_i].png', async () => {
    const opts = { ...base, steps: 4, model: { backend: 'wasm' as const }, units: [2, 9], objective: 'diversity' as const, batch: 4 };
    const inProcess = await visualize({ ...opts, workers: 1 });
    const pooled = await visualize({ ...opts, workers: 2 });
    expect(pooled.map((v) => v.unit)).toEqual([2, 9]);
    pooled.forEach((v, i) => v.images.forEach((im, k) => expect(Array.from(im.pixels)).toEqual(Array.from(inProcess[i].images[k].pixels))));
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fv-'));
    const files = await writeImages(pooled[0], dir);
    expect(files.map((f) => path.basename(f))).toEqual([0, 1, 2, 3].map((i) => `block1_conv2_2_diversity_${i}.png`));
  });
});

describe('atlas visualize', () => {
  it('writes the documented JSON and the same PNG bytes for the same seed', async () => {
    const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), 'atlas-fvcli-')));
    const runs = [];
    for (const dir of dirs) {
      runs.push(await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--size', '32', '--steps', '20', '--out', dir, '--json', '--workers', '1']));
    }
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const [out] = JSON.parse(runs[0].stdout);
    expect(out).toMatchObject({ layer: 'block1_conv2', unit: 4, objective: 'channel', size: 32, steps: 20, seed: 0, files: ['block1_conv2_4_channel.png'] });
    expect(Object.keys(out.activation)).toEqual(['mean', 'max', 'pre']);
    expect(Object.keys(out.activation.pre)).toEqual(['mean', 'min', 'max', 'centre', 'curve']);
    expect(out.activation.pre.curve).toHaveLength(3);
    expect(Object.keys(out.images[0].activation.pre)).toEqual(['mean', 'min', 'max', 'centre']);
    expect(out.curve).toHaveLength(3); // steps 0, 16 and the end
    expect(out.seconds).toBeGreaterThan(0);
    const bytes = dirs.map((d) => readFileSync(path.join(d, 'block1_conv2_4_channel.png')));
    expect(bytes[0].equals(bytes[1])).toBe(true);
  });

  it('keeps a record of the settings beside each image, says when it replaces an image made with others, and shows progress off a terminal', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fvcli-record-'));
    const run = (steps: string) => atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--size', '32', '--steps', steps, '--out', dir, '--workers', '1'], { ATLAS_PROGRESS_INTERVAL: '0.001' });
    const first = await run('8');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^progress: visualize \| [1-7]\/8 steps \(\d+%\) \| elapsed 0:00 \| ETA 0:\d\d$/m);
    expect(first.stderr).toMatch(/^progress: visualize \| 8\/8 steps \(100%\) \| elapsed /m);
    expect(first.stderr).not.toMatch(/replaced/);
    const record = () => JSON.parse(readFileSync(path.join(dir, 'block1_conv2_4_channel.json'), 'utf8'));
    expect(record()).toMatchObject({ model: 'vgg19', layer: 'block1_conv2', unit: 4, size: 32, steps: 8, files: ['block1_conv2_4_channel.png'] });
    const same = await run('8');
    expect(same.stderr).not.toMatch(/replaced/);
    const other = await run('12');
    expect(other.stderr).toMatch(/warning: replaced .*block1_conv2_4_channel\.png, made by an earlier run \(vgg19, 32 px, 8 steps, .*\), with this one's \(vgg19, 32 px, 12 steps, .*\); another --out keeps both/);
    expect(record().steps).toBe(12);
  });

  it('prints the units in the order given, and warns when the image is smaller than the receptive field', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fvcli-order-'));
    const r = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '6,2', '--size', '4', '--steps', '2', '--out', dir, '--json', '--workers', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).map((o: { unit: number }) => o.unit)).toEqual([6, 2]);
    expect(r.stderr).toMatch(/warning: a 4 px image is smaller than block1_conv2's 5 px receptive field/);
    const fits = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '2', '--size', '8', '--steps', '2', '--out', dir, '--workers', '1']);
    expect(fits.stderr).not.toMatch(/smaller than/);
  });

  it("optimizes post-ReLU values at the grid recipe (its default) and pre-ReLU ones at the full recipe, either switched by a flag, and says which", async () => {
    const run = async (...flags: string[]) => {
      const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fvcli-relu-'));
      const r = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--size', '32', '--steps', '8', '--lr', '0.5', '--out', dir, '--json', '--workers', '1', ...flags]);
      expect(r.status, r.stderr).toBe(0);
      return { out: JSON.parse(r.stdout)[0], png: readFileSync(path.join(dir, 'block1_conv2_4_channel.png')) };
    };
    const [grid, gridPre, full, fullPost] = [await run('--recipe', 'grid'), await run('--recipe', 'grid', '--no-post-relu'), await run(), await run('--post-relu')];
    expect([grid.out.relu, gridPre.out.relu, full.out.relu, fullPost.out.relu]).toEqual([true, undefined, undefined, true]);
    expect(grid.png.equals(gridPre.png)).toBe(false);
    expect(full.png.equals(fullPost.png)).toBe(false);
  });

  it('exits 2 on a bad objective or unit list, or --post-relu with the negative objective (which the grid recipe keeps pre-ReLU, as diversity)', async () => {
    const neg = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--objective', 'negative', '--post-relu']);
    expect(neg.status).toBe(2);
    expect(neg.stderr).toMatch(/--post-relu with --objective negative: it applies to channel and neuron only/);
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-fvcli-neg-'));
    const grid = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--objective', 'negative', '--recipe', 'grid', '--size', '32', '--steps', '2', '--out', dir, '--json', '--workers', '1']);
    expect(grid.status, grid.stderr).toBe(0);
    expect(JSON.parse(grid.stdout)[0].relu).toBeUndefined();
    expect((await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--objective', 'banana'])).status).toBe(2);
    expect((await atlas(['visualize', '--layer', 'block1_conv2', '--unit', 'x'])).status).toBe(2);
  });
});
