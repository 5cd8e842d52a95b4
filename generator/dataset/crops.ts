// Receptive-field crops of dataset examples: the part of the (224, centre-cropped) network input that
// a unit at grid position (x, y) sees, clamped to the image, saved as WebP.
import sharp from 'sharp';
import { writeFileAtomic } from '../fsutil.ts';
import { loadImage } from '../model/image.ts';
import type { ReceptiveField } from '../model/spec.ts';

export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The receptive field of unit (x, y) in input pixels: centred at offset + i * stride (pixel centres at
 * i + 0.5, so the field [c - size/2, c + size/2) covers whole pixels), intersected with the image.
 */
export function cropBox(rf: ReceptiveField, x: number, y: number, imageSize: number): CropBox {
  const span = (i: number) => {
    const start = Math.round(rf.offset + i * rf.stride - rf.size / 2);
    const a = Math.max(0, start);
    const b = Math.min(imageSize, start + rf.size);
    return [a, Math.max(1, b - a)] as const;
  };
  const [left, width] = span(x);
  const [top, height] = span(y);
  return { left, top, width, height };
}

export interface CropJob {
  /** Absolute image path. */
  file: string;
  x: number;
  y: number;
  /** Absolute destination (.webp). */
  dest: string;
}

/**
 * Writes every crop, decoding each image once (jobs are grouped by image), a few images at a time:
 * sharp runs on libuv's thread pool, so this keeps the cores busy without a worker pool.
 */
export async function writeCrops(jobs: CropJob[], rf: ReceptiveField, imageSize: number, concurrency = 4, onImage?: () => void): Promise<void> {
  const byImage = new Map<string, CropJob[]>();
  for (const j of jobs) {
    const list = byImage.get(j.file);
    if (list) list.push(j);
    else byImage.set(j.file, [j]);
  }
  const groups = [...byImage.entries()];
  let next = 0;
  const work = async () => {
    while (next < groups.length) {
      const [file, list] = groups[next++];
      // The same decode, resize and centre crop as the pass, so the crop is what the unit saw.
      const img = await loadImage(file, imageSize);
      const rgb = Buffer.from(Uint8Array.from(img.data));
      for (const j of list) {
        const webp = await sharp(rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
          .extract(cropBox(rf, j.x, j.y, imageSize))
          .webp({ quality: 90 })
          .toBuffer();
        writeFileAtomic(j.dest, webp);
      }
      onImage?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, work));
}
