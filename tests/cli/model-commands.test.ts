import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { atlas } from '../helpers/cli.ts';
import { FIXTURES, SHARED_DIR } from '../helpers/shared.ts';

describe('atlas activations', async () => {
  it('prints the documented JSON, matching the Keras reference within 1e-3', async () => {
    const r = await atlas(['activations', path.join(FIXTURES(), 'tench_224.png'), '--layer', 'block3_conv4', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['model', 'layer', 'shape', 'mean', 'max']);
    expect(out).toMatchObject({ model: 'vgg19', layer: 'block3_conv4', shape: [56, 56, 256] });
    const ref = JSON.parse(readFileSync(path.join(FIXTURES(), 'reference_activations.json'), 'utf8')).images['tench_224.png'].block3_conv4;
    for (const k of ['mean', 'max'] as const) {
      out[k].forEach((v: number, c: number) => expect(Math.abs(v - ref[k][c]) / Math.max(Math.abs(ref[k][c]), 1e-6)).toBeLessThanOrEqual(1e-3));
    }
    expect(r.stderr).toMatch(/backend: wasm/);
  });

  it("--unit gives one unit's map, its peak and the peak's receptive field, and --map draws it over the image", async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'atlas-map-'));
    const png = path.join(tmp, 'u8.png');
    const r = await atlas(['activations', path.join(FIXTURES(), 'tench_224.png'), '--layer', 'block3_conv4', '--unit', '8', '--map', png, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['model', 'layer', 'unit', 'shape', 'mean', 'max', 'min', 'active', 'at', 'field', 'map']);
    const ref = JSON.parse(readFileSync(path.join(FIXTURES(), 'reference_activations.json'), 'utf8')).images['tench_224.png'].block3_conv4;
    expect(Math.abs(out.max - ref.max[8]) / ref.max[8]).toBeLessThanOrEqual(1e-3);
    expect(Math.abs(out.mean - ref.mean[8]) / Math.max(Math.abs(ref.mean[8]), 1e-6)).toBeLessThanOrEqual(1e-3);
    expect(out.shape).toEqual([56, 56]);
    expect(out.map[out.at.row][out.at.col]).toBe(out.max);
    // block3_conv4's field: 48 px, stride 4, centred at 4 * i + 2 (clamped to the image).
    const span = (i: number) => [Math.max(0, 4 * i + 2 - 24), Math.min(224, 4 * i + 2 + 24)];
    const [x0, x1] = span(out.at.col);
    const [y0, y1] = span(out.at.row);
    expect(out.field).toEqual({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 });
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 224, height: 224 });

    const text = await atlas(['activations', path.join(FIXTURES(), 'tench_224.png'), '--layer', 'block3_conv4', '--unit', '8']);
    expect(text.stdout).toContain(`vgg19 block3_conv4 unit 8 on tench_224.png (post-ReLU, grid 56x56)`);
    expect(text.stdout).toContain(`at row ${out.at.row}, col ${out.at.col}: its receptive field is x ${x0}-${x1 - 1}, y ${y0}-${y1 - 1} of the 224 px input`);

    for (const [args, msg] of [
      [['--unit', '256'], /unit 256 is out of range: block3_conv4 has units 0\.\.255/],
      [['--unit', 'x'], /--unit 'x' is not a unit number/],
      [['--map', png], /--map needs --unit/],
      [['--unit', '8', '--map', path.join(tmp, 'u8.jpg')], /the map is written as PNG/],
    ] as const) {
      const bad = await atlas(['activations', path.join(FIXTURES(), 'tench_224.png'), '--layer', 'block3_conv4', ...args]);
      expect(bad.status, bad.stderr).toBe(2);
      expect(bad.stderr).toMatch(msg);
    }
  });

  it('exits 2 with a clear message for a missing image, a bad layer and a missing flag', async () => {
    const missing = await atlas(['activations', 'no-such.png', '--layer', 'block1_conv1']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read image no-such\.png/);
    const deep = await atlas(['activations', path.join(FIXTURES(), 'tench_224.png'), '--layer', 'block5_conv1']);
    expect(deep.status).toBe(2);
    expect(deep.stderr).toMatch(/block5_conv1 is not in the loaded weights; available: .*block3_conv4/);
    expect(deep.stderr).toMatch(/fetch-model/);
    const noLayer = await atlas(['activations', path.join(FIXTURES(), 'tench_224.png')]);
    expect(noLayer.status).toBe(2);
    expect(noLayer.stderr).toMatch(/--layer/);
  });

  it('exits 2 when no weights can be found, saying how to get them', async () => {
    const r = await atlas(['info'], { ATLAS_MODELS_DIR: path.join(SHARED_DIR, 'datasets') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no vgg19 weights found.*\n.*npm run fetch-model/);
  });
});

describe('atlas classify', async () => {
  it('exits 2 with the notop weights, naming the missing layers and how to get them', async () => {
    const r = await atlas(['classify', path.join(FIXTURES(), 'tench_224.png')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/classification \(the classifier head\) needs layers the loaded weights lack: block4_conv1, .*fc1, fc2, predictions/);
    expect(r.stderr).toMatch(/vgg19_weights_tf_dim_ordering_tf_kernels\.h5.*fetch-model/);
  });
});

describe('atlas info', async () => {
  it('lists exactly the 8 conv layers and 3 pools of the shared file, with its sha256', async () => {
    const r = await atlas(['info', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.layers.map((l: { name: string }) => l.name)).toEqual([
      'block1_conv1', 'block1_conv2', 'block1_pool', 'block2_conv1', 'block2_conv2', 'block2_pool',
      'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_conv4', 'block3_pool',
    ]);
    expect(info.layers.filter((l: { kind: string }) => l.kind === 'conv')).toHaveLength(8);
    expect(info.weights.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(info.backend.name).toBe('wasm');
    expect(info.missing).toContain('predictions');
  });

  it('answers --help on every command and exits 0', async () => {
    for (const cmd of [[], ['activations'], ['classify'], ['info']]) {
      const r = await atlas([...cmd, '--help']);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: atlas/);
    }
  });

  it('rejects an unknown backend with exit 2', async () => {
    const r = await atlas(['info', '--backend', 'tpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/tpu/);
  });
});
