import { mkdirSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { examplesForLayers, passCounters } from '../../generator/dataset/index.ts';
import { SHARED_DIR } from '../helpers/shared.ts';
import { imageFolder, sampleImages, tempDir } from './fixtures.ts';

process.env.ATLAS_MODELS_DIR ??= path.join(SHARED_DIR, 'models');

const mtimes = (dir: string) => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort().map((f) => `${f} ${statSync(path.join(dir, f)).mtimeMs}`);

describe('dataset examples cache', () => {
  it('serves an unchanged second call from <out>/.cache without a pass, and recomputes when the dataset changes', async () => {
    const dir = imageFolder(4);
    const out = tempDir('atlas-out-');
    const opts = { dataset: dir, layers: ['block1_conv1'], out, top: 2, workers: 1, quiet: true };
    const first = await examplesForLayers(opts);
    const passes = passCounters.passes;
    const images = passCounters.images;
    const before = mtimes(out);
    expect(readdirSync(path.join(out, '.cache')).some((f) => f.startsWith('examples-block1_conv1-'))).toBe(true);

    const second = await examplesForLayers(opts);
    expect(passCounters.passes).toBe(passes);
    expect(passCounters.images).toBe(images);
    expect(mtimes(out)).toEqual(before); // nothing rewritten: neither the record nor a crop
    expect(second).toEqual(first);

    const extra = sampleImages(1, 4)[0];
    mkdirSync(path.join(dir, extra.wnid));
    symlinkSync(extra.file, path.join(dir, extra.wnid, extra.name));
    const third = (await examplesForLayers(opts)).get('block1_conv1')!;
    expect(passCounters.passes).toBe(passes + 1);
    expect(passCounters.images).toBe(images + 5);
    expect(third.images).toBe(5);
  });

  it("writes only the asked units' crops beside another run's and removes none of them (`atlas examples --units` on the pipeline's folder)", async () => {
    const dir = imageFolder(4);
    const out = tempDir('atlas-out-');
    const files = () => readdirSync(out, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.webp')).sort();
    const base = { dataset: dir, layers: ['block1_conv1'], out, workers: 1, quiet: true };
    await examplesForLayers({ ...base, top: 1 });
    const pipeline = files();
    // Another --top: its crops key differs; a whole-layer write would prune the top-1 run's crops of other units.
    const adhoc = (await examplesForLayers({ ...base, top: 3, cropUnits: [5] })).get('block1_conv1')!;
    const u5 = adhoc.units[5];
    const named = [...new Set([...u5.top, ...u5.bottom, ...u5.negative].map((e) => e.crop))].sort();
    expect(named.some((f) => !pipeline.includes(f))).toBe(true); // the test needs crops to write
    expect(files()).toEqual([...new Set([...pipeline, ...named])].sort());
    const fresh = tempDir('atlas-out-');
    await examplesForLayers({ ...base, out: fresh, top: 3, cropUnits: [5] });
    expect(readdirSync(fresh, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.webp')).sort()).toEqual(named);
  });

  it('reports quiet progress (the pipeline\'s) image by image and crop by crop, up to the totals', async () => {
    const dir = imageFolder(4);
    const images: number[] = [];
    const crops: number[] = [];
    await examplesForLayers({ dataset: dir, layers: ['block1_conv1'], out: tempDir('atlas-out-'), top: 2, workers: 1, quiet: true, onImage: (d) => images.push(d), onCrops: (_l, d) => crops.push(d) });
    expect(images).toEqual([1, 2, 3, 4]);
    expect(crops.length).toBeGreaterThan(0);
    expect(crops).toEqual(crops.map((_, i) => i + 1));
  });
});
