// The model check: top-k ImageNet classes of an image. Needs the classifier head in the weights.
import { AtlasError } from '../errors.ts';
import { type ImageNetClass, loadClassIndex } from './classes.ts';
import type { Engine } from './engine.ts';
import type { RgbImage } from './image.ts';
import { topK } from './stats.ts';

export interface Prediction {
  index: number;
  wnid: string;
  label: string;
  probability: number;
}

export const OUTPUT_LAYER = 'predictions';

/** Throws (exit 2) naming the missing layers when the weights lack the head. */
export function assertCanClassify(engine: Engine): void {
  const have = new Set(engine.layers());
  if (have.has(OUTPUT_LAYER)) return;
  const missing = engine.spec.layers.map((l) => l.name).filter((n) => !have.has(n));
  const full = engine.spec.weights.find((w) => w.includesTop);
  throw new AtlasError(
    `cannot classify: the loaded weights lack the classifier head. Missing layers: ${missing.join(', ')}`,
    `classification needs the full Keras file${full ? ` (${full.file})` : ''}: run \`npm run fetch-model\` (needs internet), or pass --weights with a local copy`,
  );
}

export async function classify(engine: Engine, images: RgbImage[], top = 5, classes: ImageNetClass[] = loadClassIndex()): Promise<Prediction[][]> {
  assertCanClassify(engine);
  const size = images[0].width;
  const batch = new Float32Array(images.length * size * size * 3);
  images.forEach((im, i) => batch.set(im.data, i * size * size * 3));
  const probs = (await engine.activations({ data: batch, shape: [images.length, size, size, 3] }, [OUTPUT_LAYER])).get(OUTPUT_LAYER)!;
  const n = probs.shape[1];
  return images.map((_, i) => {
    const row = probs.data.subarray(i * n, (i + 1) * n);
    return topK(row, top).map((k) => ({ index: k, wnid: classes[k]?.wnid ?? `class${k}`, label: classes[k]?.label ?? `class ${k}`, probability: row[k] }));
  });
}
