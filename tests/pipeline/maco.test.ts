// MACO through the pipeline on a tiny profile (the CI profile's budget does not take block3_conv4:166):
// the files and fields of the data contract, the spectrum's cache, provenance, skipping on a second
// run; old files without MACO's fields still read; and `atlas visualize --recipe maco`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { FvEntry, LayerJson, ModelJson, UnitJson } from '../../generator/pipeline/schema.ts';
import { atlas } from '../helpers/cli.ts';
import { SHARED_DIR } from '../helpers/shared.ts';

const env = { ATLAS_DATASET_DIR: path.join(SHARED_DIR, 'datasets', 'imagenet-sample') };
let dir: string;
let out: string;
let first: { status: number | null; stderr: string };
const read = (rel: string) => JSON.parse(readFileSync(path.join(out, rel), 'utf8'));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'atlas-maco-gen-'));
  out = path.join(dir, 'out');
  writeFileSync(
    path.join(dir, 'atlas.config.json'),
    JSON.stringify({
      out: 'out',
      datasetLimit: 6,
      visualization: { size: 32, steps: 4, batch: 2 },
      maco: { size: 32, steps: 4, maco: { crops: 2, input: 24 } },
      examples: { top: 2 },
      featured: [
        { layer: 'block1_conv2', unit: 3, objectives: ['channel'], recipes: ['full', 'maco'] },
        { layer: 'block1_conv2', unit: 9, objectives: ['channel'], recipes: ['maco'] },
      ],
    }),
  );
  first = await atlas(['generate', '--config', path.join(dir, 'atlas.config.json'), '--stages', 'examples,fv'], env);
});

describe('MACO in the pipeline', () => {
  it('writes maco-<objective>.{json,png} and the importance map beside the full recipe, and assembles them', async () => {
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/MACO magnitude spectrum at 32 px: computed from 6 dataset images/);
    const unitDir = path.join(out, 'vgg19', 'block1_conv2', '3');
    for (const f of ['maco-channel.json', 'maco-channel.png', 'maco-channel-importance.png', 'fv-channel.png']) expect(existsSync(path.join(unitDir, f)), f).toBe(true);
    const meta = await sharp(path.join(unitDir, 'maco-channel-importance.png')).metadata();
    expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([32, 32, 1, 'uchar']);
    const image = await sharp(path.join(unitDir, 'maco-channel.png')).metadata();
    expect([image.width, image.channels]).toEqual([32, 3]);

    const unit = UnitJson.parse(read('vgg19/block1_conv2/3/unit.json'));
    const entry = unit.maco.channel;
    expect(entry.recipe).toBe('maco');
    expect(entry.settings).toMatchObject({ size: 32, steps: 4, lr: 1, param: 'maco', optimizer: 'nadam', maco: { crops: 2, box: [0.4, 0.6], noise: 0.01, input: 24, importance: 80 } });
    expect(entry.images[0]).toMatchObject({ file: 'vgg19/block1_conv2/3/maco-channel.png', importance: 'vgg19/block1_conv2/3/maco-channel-importance.png' });
    // Provenance: the dataset the magnitude came from, the spectrum's key, every setting.
    expect(entry.provenance.dataset?.images).toBe(6);
    expect(entry.provenance.settings).toMatchObject({ param: 'maco', optimizer: 'nadam', maco: { crops: 2 }, spectrum: { images: 6 } });
    expect(unit.fv.channel.settings).toMatchObject({ param: 'fourier', optimizer: 'adam' });
    expect(unit.fv.channel.images[0].importance).toBeUndefined();
    // The thumbnail keeps the full Fourier image; a unit with MACO alone shows its MACO image.
    expect(unit.thumbnail).toMatchObject({ kind: 'fv', recipe: 'full' });
    expect(UnitJson.parse(read('vgg19/block1_conv2/9/unit.json')).thumbnail).toMatchObject({ kind: 'fv', recipe: 'maco' });

    const layer = LayerJson.parse(read('vgg19/block1_conv2/layer.json'));
    expect(layer.units[3]).toMatchObject({ fv: ['channel'], maco: ['channel'] });
    expect(layer.units[9]).toMatchObject({ fv: [], maco: ['channel'] });
    const model = ModelJson.parse(read('vgg19/model.json'));
    expect(model.layers.find((l) => l.name === 'block1_conv2')!.generated).toMatchObject({ fv: 1, maco: 2 });
    expect(model.provenance.visualization.maco).toMatchObject({ param: 'maco', size: 32 });
    expect(readdirSync(path.join(out, '.cache')).filter((f) => f.startsWith('maco-spectrum-32-'))).toHaveLength(1);
  });

  it('skips every job on a second run (the spectrum read from the cache)', async () => {
    const r = await atlas(['generate', '--config', path.join(dir, 'atlas.config.json'), '--stages', 'examples,fv'], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/0 job\(s\) run/);
  });

  it('reads files written before MACO: no param, optimizer, maco or importance fields', () => {
    const old = read('vgg19/block1_conv2/3/fv-channel.json');
    for (const k of ['param', 'optimizer', 'maco']) delete old.settings[k];
    const e = FvEntry.parse(old);
    expect(e.settings).toMatchObject({ param: 'fourier', optimizer: 'adam' });
    const unit = read('vgg19/block1_conv2/3/unit.json');
    delete unit.maco;
    expect(UnitJson.parse(unit).maco).toEqual({});
    const layer = read('vgg19/block1_conv2/layer.json');
    for (const u of layer.units) delete u.maco;
    expect(LayerJson.parse(layer).units[3].maco).toEqual([]);
    const model = read('vgg19/model.json');
    for (const l of model.layers) delete l.generated.maco;
    expect(ModelJson.parse(model).layers[0].generated.maco).toBe(0);
  });

  it('atlas visualize --recipe maco writes the image, its importance map and the documented JSON', async () => {
    const cliOut = mkdtempSync(path.join(tmpdir(), 'atlas-maco-cli-'));
    const r = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--recipe', 'maco', '--size', '32', '--steps', '4', '--out', cliOut, '--json', '--workers', '1'], { ...env, ATLAS_DATASET_DIR: path.join(out, '..', 'tiny-ds') });
    // No such dataset: exit 2 naming it.
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/dataset not found/);
    const ok = await atlas(['visualize', '--layer', 'block1_conv2', '--unit', '4', '--recipe', 'maco', '--size', '32', '--steps', '4', '--out', cliOut, '--json', '--workers', '1', '--dataset', path.join(SHARED_DIR, 'datasets', 'imagenet-sample', 'n01440764')]);
    expect(ok.status, ok.stderr).toBe(0);
    const [o] = JSON.parse(ok.stdout);
    expect(o).toMatchObject({ param: 'maco', optimizer: 'nadam', lr: 1, size: 32, maco: { crops: 2, input: 128 }, files: ['block1_conv2_4_channel.png'], importance: ['block1_conv2_4_channel_importance.png'] });
    expect(existsSync(path.join(cliOut, 'block1_conv2_4_channel_importance.png'))).toBe(true);
  });
});
