import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atlas } from '../helpers/cli.ts';
import { imageFolder, tempDir } from './fixtures.ts';

describe('atlas examples', () => {
  it('prints the documented JSON for the requested units and writes examples.json and crops', async () => {
    const dataset = imageFolder(3);
    const out = tempDir('atlas-out-');
    const r = await atlas(['examples', '--layer', 'block1_conv1', '--units', '2,5', '--top', '2', '--dataset', dataset, '--out', out, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const units = JSON.parse(r.stdout);
    expect(units.map((u: { unit: number }) => u.unit)).toEqual([2, 5]);
    const u = units[1];
    expect(Object.keys(u)).toEqual(['layer', 'unit', 'top', 'bottom', 'negative', 'classes', 'histogram', 'firing_rate', 'position_rate', 'silent', 'images', 'skipped']);
    expect(Object.keys(u.top[0])).toEqual(['image', 'class', 'label', 'activation', 'x', 'y', 'crop']);
    expect(Object.keys(u.classes[0])).toEqual(['wnid', 'label', 'mean', 'max', 'images']);
    expect(u).toMatchObject({ layer: 'block1_conv1', images: 3, skipped: [] });
    expect(u.top).toHaveLength(2);
    // One crop per (layer, image, position), shared by the units whose example it is.
    const cropOf = (e: { image: string; x: number; y: number }) => `vgg19/block1_conv1/crops/${e.x}-${e.y}/${e.image.replace(/\.jpg$/, '')}.webp`;
    for (const e of [...u.top, ...u.bottom, ...u.negative]) expect(e.crop).toBe(cropOf(e));
    expect(existsSync(path.join(out, u.negative[1].crop))).toBe(true);
    expect(u.top[0].activation).toBeGreaterThanOrEqual(u.top[1].activation);
    expect(existsSync(path.join(out, u.top[0].crop))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'vgg19', 'block1_conv1', '5', 'examples.json'), 'utf8'))).toEqual(u);
    expect(existsSync(path.join(out, 'vgg19', 'block1_conv1', '3', 'examples.json'))).toBe(false); // not requested
    // Only the requested units' crops: a whole layer's are thousands of files at block3.
    const named = new Set(units.flatMap((x: { top: { crop: string }[]; bottom: { crop: string }[]; negative: { crop: string }[] }) => [...x.top, ...x.bottom, ...x.negative].map((e) => e.crop)));
    const written = readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.webp'));
    expect(new Set(written)).toEqual(named);
    const text = await atlas(['examples', '--layer', 'block1_conv1', '--units', '5', '--top', '2', '--dataset', dataset, '--out', out]);
    expect(text.stderr).toMatch(/below: the first 2 of each unit's top and negative examples \(of 2\) and of its classes/);
  });

  it('exits 2 without a dataset, naming ATLAS_DATASET_DIR and fetch-data', async () => {
    const r = await atlas(['examples', '--layer', 'block3_conv4'], { ATLAS_DATASET_DIR: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no dataset given\n.*hint:.*ATLAS_DATASET_DIR.*npm run fetch-data/);
  });

  it('exits 2 on a unit out of range, before reading any image', async () => {
    const r = await atlas(['examples', '--layer', 'block3_conv4', '--units', '250-256', '--dataset', '/nonexistent']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unit 256 is out of range: block3_conv4 has units 0\.\.255/);
  });
});
