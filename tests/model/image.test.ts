import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadImage, preprocessPixels } from '../../generator/model/image.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { FIXTURES, shared } from '../helpers/shared.ts';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'atlas-img-'));

describe('preprocessPixels', () => {
  it('is Keras vgg19.preprocess_input: RGB->BGR, minus [103.939, 116.779, 123.68], no scaling', () => {
    const out = preprocessPixels(Float32Array.from([10, 20, 30, 255, 0, 128]), vgg19.preprocessing);
    const want = [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68];
    out.forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
  });

  it('normalize mode: (pixel / 255 * scale - mean) / std in the stated channel order (torchvision, and BGR)', () => {
    const px = Float32Array.from([255, 0, 51]);
    const tv = preprocessPixels(px, { mode: 'normalize', order: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    [(1 - 0.485) / 0.229, (0 - 0.456) / 0.224, (0.2 - 0.406) / 0.225].forEach((w, i) => expect(tv[i]).toBeCloseTo(w, 5));
    const bgr = preprocessPixels(px, { mode: 'normalize', order: 'BGR', scale: 255, mean: [1, 2, 3], std: [1, 1, 2] });
    expect(Array.from(bgr)).toEqual([51 - 1, 0 - 2, (255 - 3) / 2]);
  });
});

describe('loadImage', () => {
  it('uses a 224x224 PNG as is (exact pixels)', async () => {
    const file = path.join(FIXTURES(), 'tench_224.png');
    const img = await loadImage(file);
    const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([img.width, img.height]).toEqual([224, 224]);
    expect(Array.from(img.data.subarray(0, 300))).toEqual(Array.from(data.subarray(0, 300)));
  });

  it('resizes the short side to 256 and centre-crops 224 (a dataset JPEG)', async () => {
    const dir = shared('datasets', 'imagenet-sample', 'n01440764');
    const file = path.join(dir, readdirSync(dir)[0]);
    const meta = await sharp(file).metadata();
    expect(Math.min(meta.width!, meta.height!)).toBe(256);
    const img = await loadImage(file);
    expect([img.width, img.height]).toEqual([224, 224]);
  });

  it('centre-crops: a wide image keeps its middle', async () => {
    // 512x256: left half black, middle white band, right half black -> after resize 512x256 stays, crop shows the band.
    const w = 512, h = 256;
    const buf = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 200; x < 312; x++) buf.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const file = path.join(tmp(), 'wide.png');
    await sharp(buf, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
    const img = await loadImage(file);
    expect(img.data[(112 * 224 + 112) * 3]).toBeGreaterThan(250); // centre is in the band
    expect(img.data[(112 * 224 + 5) * 3]).toBeLessThan(5); // edges are not
  });

  it('turns grey and RGBA images into 3-channel RGB', async () => {
    const dir = tmp();
    const grey = path.join(dir, 'grey.png');
    await sharp(Buffer.alloc(224 * 224, 77), { raw: { width: 224, height: 224, channels: 1 } }).png().toFile(grey);
    const g = await loadImage(grey);
    expect(g.data.length).toBe(224 * 224 * 3);
    expect(g.data[0]).toBe(77);
    const rgba = path.join(dir, 'rgba.png');
    await sharp(Buffer.alloc(224 * 224 * 4, 200), { raw: { width: 224, height: 224, channels: 4 } }).png().toFile(rgba);
    expect((await loadImage(rgba)).data.length).toBe(224 * 224 * 3);
  });

  it('fails clearly on a non-image and on a truncated JPEG', async () => {
    const dir = tmp();
    const text = path.join(dir, 'notes.jpg');
    writeFileSync(text, 'this is not an image');
    await expect(loadImage(text)).rejects.toThrow(/cannot read image .*notes\.jpg/);
    const jpeg = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const cut = path.join(dir, 'cut.jpg');
    writeFileSync(cut, jpeg.subarray(0, 200));
    await expect(loadImage(cut)).rejects.toThrow(/cut\.jpg/);
  });
});
