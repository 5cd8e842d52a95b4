// An imported ONNX model (SqueezeNet 1.1) through the real CLI: import-model writes a card, classify
// prints top-5, evaluate reports top-1 / top-5, visualize renders a unit through the differentiator's
// gradient, and the errors a user meets say what to do.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atlas } from '../helpers/cli.ts';
import { shared } from '../helpers/shared.ts';

const ONNX = () => shared('models', 'squeezenet1.1', 'squeezenet1.1.onnx');
const SAMPLE = () => shared('datasets', 'imagenet-sample');

describe('an imported ONNX model on the CLI', () => {
  it('import-model checks the graph and writes a card with the detected layers; a non-ONNX file exits 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-import-'));
    const out = path.join(dir, 'card.json');
    const r = await atlas(['import-model', ONNX(), '--id', 'sq-test', '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const card = JSON.parse(readFileSync(out, 'utf8'));
    expect(card).toMatchObject({ id: 'sq-test', file: 'squeezenet1.1.onnx', input: { size: 224, order: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406] } });
    expect(card.layers).toHaveLength(39);
    const printed = JSON.parse(r.stdout);
    expect(printed.layers.find((l: { name: string }) => l.name === 'squeezenet0_conv0')).toMatchObject({ kind: 'conv', shape: [111, 111, 64] });
    writeFileSync(path.join(dir, 'junk.onnx'), 'not a model');
    const bad = await atlas(['import-model', path.join(dir, 'junk.onnx'), '--id', 'junk', '--out', path.join(dir, 'junk.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/junk\.onnx is not an ONNX model/);
  });

  it('classify prints the top-5 (softmax of the logits); evaluate gives top-1 / top-5 over a dataset', async () => {
    const tench = path.join(SAMPLE(), 'n01440764', 'n01440764_tench.jpg');
    const r = await atlas(['classify', tench, '--model', 'squeezenet1.1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [{ top }] = JSON.parse(r.stdout);
    expect(top).toHaveLength(5);
    expect(top[0]).toMatchObject({ wnid: 'n01440764', label: 'tench' });
    expect(top[0].probability).toBeGreaterThan(0.9);
    const sum = top.reduce((s: number, p: { probability: number }) => s + p.probability, 0);
    expect(sum).toBeLessThanOrEqual(1 + 1e-6);
    // A 6-image dataset: the figures are counts over it.
    const ds = mkdtempSync(path.join(tmpdir(), 'atlas-eval-'));
    for (const wnid of ['n01440764', 'n01443537', 'n01484850', 'n01491361', 'n01494475', 'n01496331']) {
      mkdirSync(path.join(ds, wnid));
      const src = path.join(SAMPLE(), wnid);
      for (const f of (await import('node:fs')).readdirSync(src)) symlinkSync(path.join(src, f), path.join(ds, wnid, f));
    }
    const e = await atlas(['evaluate', '--model', 'squeezenet1.1', '--dataset', ds, '--json']);
    expect(e.status, e.stderr).toBe(0);
    const acc = JSON.parse(e.stdout);
    expect(acc.images).toBe(6);
    expect(acc.ranks).toHaveLength(6);
    expect(acc.top1).toBeCloseTo(acc.ranks.filter((x: { rank: number }) => x.rank === 1).length / 6, 10);
    expect(acc.top5).toBeGreaterThanOrEqual(acc.top1);
  });

  it('classify goes on past an unreadable file and exits 2 naming it; a folder, a near-miss model id and an .onnx file for vgg19 say what to do', async () => {
    const tench = path.join(SAMPLE(), 'n01440764', 'n01440764_tench.jpg');
    const r = await atlas(['classify', tench, '/tmp/no-such-image.jpg', tench, '--model', 'squeezenet1.1', '--json']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).map((x: { image: string }) => x.image)).toEqual([tench, tench]);
    expect(r.stderr).toMatch(/warning: skipped cannot read image \/tmp\/no-such-image\.jpg/);
    expect(r.stderr).toMatch(/error: 1 of 3 image\(s\) could not be read: \/tmp\/no-such-image\.jpg\n  hint: the others are classified above/);
    const folder = await atlas(['classify', SAMPLE(), '--model', 'squeezenet1.1']);
    expect(folder.status).toBe(2);
    expect(folder.stderr).toMatch(/imagenet-sample is a folder, not an image\n  hint: .*atlas evaluate --dataset DIR/);
    const near = await atlas(['classify', tench, '--model', 'SqueezeNet']);
    expect(near.status).toBe(2);
    expect(near.stderr).toMatch(/unknown model 'SqueezeNet'; did you mean squeezenet1\.1\?\n  hint: models: vgg19 \(built in\), .*squeezenet1\.1 \(imported, with a card\)/);
    const onnx = await atlas(['info', '--weights', ONNX()]);
    expect(onnx.status).toBe(2);
    expect(onnx.stderr).toMatch(/squeezenet1\.1\.onnx is an ONNX file, and vgg19 reads Keras HDF5 weights\n  hint: an ONNX model runs under its own id: --model .*squeezenet1\.1/);
  });

  it('visualize renders a SqueezeNet unit (gradient from the differentiator); --engine tfjs exits 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'atlas-sqvis-'));
    const r = await atlas(['visualize', '--model', 'squeezenet1.1', '--layer', 'fire3_expand3x3', '--unit', '4', '--size', '48', '--steps', '24', '--out', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [res] = JSON.parse(r.stdout);
    expect(res.files).toEqual(['fire3_expand3x3_4_channel.png']);
    // The ascent works: the unit's mean activation grows from the random start.
    expect(res.curve[res.curve.length - 1]).toBeGreaterThan(2 * Math.max(res.curve[0], 1e-3));
    const t = await atlas(['info', '--model', 'squeezenet1.1', '--engine', 'tfjs']);
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/imported ONNX model: it runs on the onnxruntime engine only/);
    const u = await atlas(['info', '--model', 'nosuchnet']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown model 'nosuchnet'[\s\S]*import-model/);
  });
});
