// One image's activation map for one unit, drawn over the image (`atlas activations --unit U --map`, and
// the pose stage's strip of a featured unit's top photos):
// the image in grey, each pixel tinted by the unit whose receptive field is centred nearest to it (red
// where it is excited, blue where a pre-ReLU map is negative, as strong as |value| / the map's largest
// |value|), and the receptive field of the maximum outlined: where in this photo the unit fires.
import sharp from 'sharp';
import { NEGATIVE as INHIBIT, POSITIVE as EXCITE } from './circuit/kernel-image.ts';
import { cropBox, type CropBox } from './dataset/crops.ts';
import { stackImages } from './model/batch.ts';
import type { Engine } from './model/engine.ts';
import { loadImage, type RgbImage } from './model/image.ts';
import { receptiveFields, type ModelSpec, type ReceptiveField } from './model/spec.ts';
import { type UnitMap, unitMap } from './model/stats.ts';

/** The receptive field of the map's maximum, in input pixels (null when the layer has no spatial field). */
export function peakField(map: UnitMap, rf: ReceptiveField | null, imageSize: number): CropBox | null {
  return rf ? cropBox(rf, map.col, map.row, imageSize) : null;
}

/** The map over the image as RGB bytes (image size). Without a receptive field, the grid is stretched over the image. */
export function heatmapPixels(img: RgbImage, map: UnitMap, rf: ReceptiveField | null): Uint8Array {
  const { width: W, height: H } = img;
  const scale = Math.max(Math.abs(map.max), Math.abs(map.min)) || 1;
  const field = rf ?? { size: W / map.width, stride: W / map.width, offset: W / map.width / 2 };
  const cell = (x: number, n: number) => Math.min(n - 1, Math.max(0, Math.round((x + 0.5 - field.offset) / field.stride)));
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const row = cell(y, map.height);
    for (let x = 0; x < W; x++) {
      const v = map.values[row * map.width + cell(x, map.width)];
      const i = (y * W + x) * 3;
      // A light grey image keeps the photo readable under the tint.
      const grey = 0.55 * (0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]) + 0.45 * 255;
      const a = 0.85 * Math.min(1, Math.abs(v) / scale);
      const tint = v >= 0 ? EXCITE : INHIBIT;
      for (let k = 0; k < 3; k++) out[i + k] = Math.round(grey * (1 - a) + tint[k] * a);
    }
  }
  const box = rf ? cropBox(rf, map.col, map.row, W) : null;
  if (box) outline(out, W, H, box);
  return out;
}

/** A 2 px outline: black outside, white inside, so that it shows on any tint. */
function outline(px: Uint8Array, W: number, H: number, b: CropBox): void {
  const put = (x: number, y: number, v: number) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    px.fill(v, (y * W + x) * 3, (y * W + x) * 3 + 3);
  };
  for (const [d, v] of [[-1, 0], [0, 255]] as const) {
    const [x0, y0, x1, y1] = [b.left + d, b.top + d, b.left + b.width - 1 - d, b.top + b.height - 1 - d];
    for (let x = x0; x <= x1; x++) [put(x, y0, v), put(x, y1, v)];
    for (let y = y0; y <= y1; y++) [put(x0, y, v), put(x1, y, v)];
  }
}

export async function heatmapPng(img: RgbImage, map: UnitMap, rf: ReceptiveField | null): Promise<Buffer> {
  return sharp(heatmapPixels(img, map, rf), { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

export interface WhereExample {
  /** Absolute path of the image (the caller makes it relative). */
  image: string;
  /** The unit's peak in this image: grid position and post-ReLU value (the dataset pass's, recomputed). */
  x: number;
  y: number;
  max: number;
  /** Share of positions where it is above zero. */
  active: number;
}

/**
 * Where a unit fires in each of some photos: the photos (224 px centre crops, as the dataset pass sees
 * them) through the network at once, each unit map drawn over its photo, side by side in one strip (one
 * file per unit: the pipeline knows its outputs before it knows how many photos a unit fires on).
 */
export async function whereItFires(engine: Engine, spec: ModelSpec, layer: string, unit: number, files: string[]): Promise<{ examples: WhereExample[]; strip: Buffer; tile: number }> {
  const images = await Promise.all(files.map((f) => loadImage(f, spec.inputSize)));
  const size = spec.inputSize;
  const act = (await engine.activations(stackImages(images), [layer])).get(layer)!;
  const rf = receptiveFields(spec).get(layer) ?? null;
  const strip = new Uint8Array(images.length * size * size * 3);
  const examples = images.map((im, i) => {
    const m = unitMap(act, unit, i);
    const px = heatmapPixels(im, m, rf);
    for (let y = 0; y < size; y++) strip.set(px.subarray(y * size * 3, (y + 1) * size * 3), (y * images.length * size + i * size) * 3);
    return { image: files[i], x: m.col, y: m.row, max: m.max, active: m.active };
  });
  const webp = await sharp(strip, { raw: { width: images.length * size, height: size, channels: 3 } }).webp({ quality: 82 }).toBuffer();
  return { examples, strip: webp, tile: size };
}
