import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { datasetDigest, openDataset, resolveDatasetPath } from '../../generator/dataset/source.ts';
import { imageFolder, sampleImages, tempDir } from './fixtures.ts';

const classIds = (ds: ReturnType<typeof openDataset>) => ds.images.map((im) => ds.classes[im.cls].id);

describe('openDataset', () => {
  it('reads an ImageFolder of WNID folders, sorted by path, labels from the class index', () => {
    const ds = openDataset(imageFolder(3));
    expect(ds.layout).toBe('imagefolder');
    expect(ds.images.map((i) => i.rel)).toEqual(['n01440764/n01440764_tench.jpg', 'n01443537/n01443537_goldfish.jpg', 'n01484850/n01484850_great_white_shark.jpg']);
    expect(ds.classes).toEqual([
      { id: 'n01440764', label: 'tench', known: true },
      { id: 'n01443537', label: 'goldfish', known: true },
      { id: 'n01484850', label: 'great_white_shark', known: true },
    ]);
    expect(path.isAbsolute(ds.images[0].file)).toBe(true);
  });

  it('maps label folders back to WNIDs and keeps unknown classes under their folder name', () => {
    const dir = tempDir();
    const [a, b, c] = sampleImages(3);
    for (const [folder, im] of [['tench', a], ['Great White Shark', c], ['my-own-class', b]] as const) {
      mkdirSync(path.join(dir, folder));
      symlinkSync(im.file, path.join(dir, folder, 'x.jpg'));
    }
    const ds = openDataset(dir);
    expect(ds.classes).toEqual([
      { id: 'my-own-class', label: 'my-own-class', known: false },
      { id: 'n01440764', label: 'tench', known: true },
      { id: 'n01484850', label: 'great_white_shark', known: true },
    ]);
    expect(classIds(ds)).toEqual(['n01484850', 'my-own-class', 'n01440764']); // sorted by path: 'Great...' < 'my-...' < 'tench'
  });

  it('accepts split folders (mini-ImageNet: train/<wnid>/...) and a split folder as the root', () => {
    const dir = tempDir();
    const ims = sampleImages(3);
    ims.forEach((im, i) => {
      const d = path.join(dir, i < 2 ? 'train' : 'val', im.wnid);
      mkdirSync(d, { recursive: true });
      symlinkSync(im.file, path.join(d, `${im.wnid}0000000${i}.jpg`));
    });
    const all = openDataset(dir);
    expect(classIds(all)).toEqual(['n01440764', 'n01443537', 'n01484850']);
    expect(all.images.map((i) => i.rel)[2]).toBe('val/n01484850/n0148485000000002.jpg');
    expect(classIds(openDataset(path.join(dir, 'train')))).toEqual(['n01440764', 'n01443537']);
  });

  it('reads a flat folder whose file names start with a WNID, and ignores non-image files', () => {
    const dir = tempDir();
    for (const im of sampleImages(2)) symlinkSync(im.file, path.join(dir, im.name));
    symlinkSync(sampleImages(1, 5)[0].file, path.join(dir, 'n015148590000001.JPEG')); // mini-ImageNet style name
    writeFileSync(path.join(dir, 'README.md'), 'not an image');
    const ds = openDataset(dir);
    expect(ds.layout).toBe('flat');
    expect(ds.images.map((i) => i.rel)).toEqual(['n01440764_tench.jpg', 'n01443537_goldfish.jpg', 'n015148590000001.JPEG']);
    expect(ds.classes.map((c) => c.label)).toEqual(['tench', 'goldfish', 'hen']);
  });

  it('reads a CSV manifest (paths relative to the CSV, optional header, quoted fields, WNID or label)', () => {
    const dir = tempDir();
    const [a, b, c] = sampleImages(3);
    mkdirSync(path.join(dir, 'img'));
    symlinkSync(a.file, path.join(dir, 'img', 'a.jpg'));
    symlinkSync(b.file, path.join(dir, 'img', 'b, with comma.jpg'));
    symlinkSync(c.file, path.join(dir, 'img', 'c.jpg'));
    const csv = path.join(dir, 'manifest.csv');
    writeFileSync(csv, `path,label\nimg/a.jpg,n01440764\n"img/b, with comma.jpg",goldfish\nimg/c.jpg,mystery\nimg/missing.jpg,tench\n`);
    const ds = openDataset(csv);
    expect(ds.layout).toBe('csv');
    expect(ds.root).toBe(dir);
    expect(ds.images.map((i) => i.rel)).toEqual(['img/a.jpg', 'img/b, with comma.jpg', 'img/c.jpg']);
    expect(classIds(ds)).toEqual(['n01440764', 'n01443537', 'mystery']);
    expect(ds.skipped).toEqual([{ file: 'img/missing.jpg', reason: 'listed in the manifest but not found' }]);
  });

  it('takes the first N images in sorted order with a limit', () => {
    const ds = openDataset(imageFolder(5), { limit: 2 });
    expect(classIds(ds)).toEqual(['n01440764', 'n01443537']);
    expect(ds.classes).toHaveLength(2);
  });

  it('takes N images spread over the sorted list with a sample (the first N of a one-per-class folder are its first classes), not with a limit too', () => {
    const all = openDataset(imageFolder(10)).images.map((im) => im.rel);
    const dir = imageFolder(10);
    expect(openDataset(dir, { sample: 3 }).images.map((im) => im.rel)).toEqual([all[0], all[3], all[6]]);
    expect(openDataset(dir, { sample: 5 }).images.map((im) => im.rel)).toEqual([all[0], all[2], all[4], all[6], all[8]]);
    expect(openDataset(dir, { sample: 99 }).images).toHaveLength(10);
    expect(() => openDataset(dir, { sample: 3, limit: 3 })).toThrow(/a limit and a sample of the dataset at once/);
  });

  it('fails with exit code 2 on an empty dataset, a missing one, and when none is given', () => {
    const empty = tempDir();
    writeFileSync(path.join(empty, 'notes.txt'), 'x');
    const err = (() => {
      try {
        openDataset(empty);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(AtlasError);
    expect((err as AtlasError).exitCode).toBe(2);
    expect((err as AtlasError).message).toMatch(/holds no images/);
    expect(() => resolveDatasetPath(path.join(empty, 'nope'))).toThrow(/dataset not found/);
  });
});

describe('resolveDatasetPath', () => {
  const saved = process.env.ATLAS_DATASET_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.ATLAS_DATASET_DIR;
    else process.env.ATLAS_DATASET_DIR = saved;
  });

  it('uses --dataset, else $ATLAS_DATASET_DIR, else exits 2 with a hint', () => {
    const dir = tempDir();
    process.env.ATLAS_DATASET_DIR = dir;
    expect(resolveDatasetPath()).toBe(dir);
    delete process.env.ATLAS_DATASET_DIR;
    try {
      resolveDatasetPath();
      expect.unreachable();
    } catch (e) {
      expect((e as AtlasError).exitCode).toBe(2);
      expect((e as AtlasError).hint).toMatch(/ATLAS_DATASET_DIR.*fetch-data/);
    }
  });
});

describe('datasetDigest', () => {
  it('is stable, and changes when an image is added or its content changes', async () => {
    const dir = imageFolder(2);
    const d1 = await datasetDigest(openDataset(dir));
    expect(await datasetDigest(openDataset(dir))).toBe(d1);
    const extra = sampleImages(1, 7)[0];
    mkdirSync(path.join(dir, extra.wnid));
    symlinkSync(extra.file, path.join(dir, extra.wnid, extra.name));
    const d2 = await datasetDigest(openDataset(dir));
    expect(d2).not.toBe(d1);
    writeFileSync(path.join(dir, extra.wnid, 'n0.jpg'), 'garbage');
    expect(await datasetDigest(openDataset(dir))).not.toBe(d2);
  });
});
