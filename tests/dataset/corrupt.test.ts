import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { examplesForLayers } from '../../generator/dataset/index.ts';
import { AtlasError } from '../../generator/errors.ts';
import { SHARED_DIR } from '../helpers/shared.ts';
import { imageFolder, sampleImages, tempDir } from './fixtures.ts';

process.env.ATLAS_MODELS_DIR ??= path.join(SHARED_DIR, 'models');

describe('a dataset with broken files', () => {
  it('skips a truncated JPEG and a text file named .jpg with their reasons, and completes the pass', async () => {
    const dir = imageFolder(10);
    const bad = sampleImages(2, 10);
    mkdirSync(path.join(dir, bad[0].wnid));
    writeFileSync(path.join(dir, bad[0].wnid, 'truncated.jpg'), readFileSync(bad[0].file).subarray(0, 300));
    mkdirSync(path.join(dir, bad[1].wnid));
    writeFileSync(path.join(dir, bad[1].wnid, 'notes.jpg'), 'this is not an image\n');
    const out = tempDir('atlas-out-');
    // block1_conv1 keeps the network cheap: this test is about the files, not the layer.
    const r = (await examplesForLayers({ dataset: dir, layers: ['block1_conv1'], out, top: 3, workers: 2, quiet: true })).get('block1_conv1')!;
    expect(r.images).toBe(10);
    expect(r.skipped.map((s) => s.file).sort()).toEqual([`${bad[1].wnid}/notes.jpg`, `${bad[0].wnid}/truncated.jpg`].sort());
    for (const s of r.skipped) expect(s.reason).toMatch(/cannot (read|decode) image .*(truncated|notes)\.jpg/);
    expect(r.units).toHaveLength(64);
    const u = r.units[5];
    expect(u.images).toBe(10);
    expect(u.skipped).toEqual(r.skipped);
    expect(u.top).toHaveLength(3);
    for (const e of [...u.top, ...u.bottom, ...u.negative]) {
      expect(e.image).not.toMatch(/truncated|notes/);
      expect(existsSync(path.join(out, e.crop))).toBe(true);
    }
    // block1_conv1's receptive field is 3x3: an interior crop is exactly that, a corner one is clamped to 2x2.
    const meta = await sharp(path.join(out, u.top[0].crop)).metadata();
    expect(meta.format).toBe('webp');
    const edge = (v: number) => (v === 0 || v === 223 ? 2 : 3);
    expect([meta.width, meta.height]).toEqual([edge(u.top[0].x), edge(u.top[0].y)]);
    expect(u.histogram.counts.reduce((a, b) => a + b, 0)).toBe(10);
  });
});

describe('bad input', () => {
  const dataset = () => imageFolder(1);
  const fails = (p: Promise<unknown>) => p.then(() => expect.unreachable(), (e: unknown) => e as AtlasError);

  it('rejects unknown and non-spatial layers with exit code 2, before any pass', async () => {
    for (const [layer, msg] of [['block9_conv1', /unknown layer 'block9_conv1'/], ['fc1', /fc1 is not spatial/]] as const) {
      const e = await fails(examplesForLayers({ dataset: dataset(), layers: [layer], out: tempDir('atlas-out-'), quiet: true }));
      expect(e).toBeInstanceOf(AtlasError);
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(msg);
      expect(e.hint).toMatch(/block3_conv4/);
    }
  });

  it('rejects a layer the weights do not reach with exit code 2 (from the workers)', async () => {
    const e = await fails(examplesForLayers({ dataset: dataset(), layers: ['block4_conv1'], out: tempDir('atlas-out-'), workers: 1, quiet: true }));
    expect(e).toBeInstanceOf(AtlasError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/block4_conv1 is not in the loaded weights/);
  });
});
