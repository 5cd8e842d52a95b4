import { readFileSync } from 'node:fs';
import path from 'node:path';
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
