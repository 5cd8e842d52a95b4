// Image decoding and the network's input convention: RGB, [0, 255], NHWC float32. sharp decodes every
// format; a square image of the input size is used as is, others are resized (short side 256) and
// centre-cropped, as is usual for ImageNet evaluation.
import { existsSync, statSync } from 'node:fs';
import sharp from 'sharp';
import { AtlasError } from '../errors.ts';
import type { Preprocessing } from './spec.ts';

export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved RGB, 0..255. */
  data: Float32Array;
}

/** Resize side for non-square inputs, as in the usual ImageNet evaluation (256 -> 224 crop). */
export const RESIZE_SHORT_SIDE = 256;

export async function loadImage(path: string, size = 224): Promise<RgbImage> {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new AtlasError(`${path} is a folder, not an image`, 'pass image files; a folder of images is a dataset (`atlas evaluate --dataset DIR`, `atlas examples --dataset DIR`)');
  }
  let img = sharp(path, { failOn: 'error' });
  let meta;
  try {
    meta = await img.metadata();
  } catch (e) {
    throw new AtlasError(`cannot read image ${path}: ${(e as Error).message}`, 'is it a JPEG/PNG/WebP file that exists and is complete?');
  }
  const w = meta.autoOrient?.width ?? meta.width ?? 0;
  const h = meta.autoOrient?.height ?? meta.height ?? 0;
  img = img.autoOrient();
  if (!(w === size && h === size)) {
    const short = Math.round((RESIZE_SHORT_SIDE * size) / 224);
    let resized;
    try {
      resized = await img.resize({ width: short, height: short, fit: 'outside' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new AtlasError(`cannot decode image ${path}: ${(e as Error).message}`, 'the file may be truncated or corrupt');
    }
    const { width: rw, height: rh, channels } = resized.info;
    img = sharp(resized.data, { raw: { width: rw, height: rh, channels } }).extract({ left: Math.floor((rw - size) / 2), top: Math.floor((rh - size) / 2), width: size, height: size });
  }
  let raw;
  try {
    raw = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw new AtlasError(`cannot decode image ${path}: ${(e as Error).message}`, 'the file may be truncated or corrupt');
  }
  const { data, info } = raw;
  if (info.channels !== 3) throw new AtlasError(`image ${path} decoded to ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data: Float32Array.from(data) };
}

/**
 * Keras `preprocess_input` in 'caffe' mode, on interleaved RGB [0,255]: RGB->BGR, minus the mean.
 * Engines apply this themselves; it is exported for tests and for engines that prefer typed arrays.
 */
export function preprocessCaffe(rgb: Float32Array, pre: Extract<Preprocessing, { mode: 'caffe' }>): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    out[i] = rgb[i + 2] - pre.mean[0];
    out[i + 1] = rgb[i + 1] - pre.mean[1];
    out[i + 2] = rgb[i] - pre.mean[2];
  }
  return out;
}

/** The network's input for interleaved RGB [0, 255] pixels (HWC, the model's channel order), as the engines compute it in their graphs. */
export function preprocessPixels(rgb: Float32Array, pre: Preprocessing): Float32Array {
  if (pre.mode === 'caffe') return preprocessCaffe(rgb, pre);
  const out = new Float32Array(rgb.length);
  const src = pre.order === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let i = 0; i < rgb.length; i += 3) for (let c = 0; c < 3; c++) out[i + c] = ((rgb[i + src[c]] / 255) * pre.scale - pre.mean[c]) / pre.std[c];
  return out;
}

/** Writes an RGB [0,1] image (HWC float) as PNG bytes; values are clamped and rounded. */
export async function encodePng(data: Float32Array, width: number, height: number, scale = 255): Promise<Buffer> {
  const bytes = Buffer.alloc(width * height * 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(data[i] * scale)));
  return sharp(bytes, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
}
