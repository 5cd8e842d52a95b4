// The model check: top-k ImageNet classes of an image. Needs the classifier head in the weights.
import type { AtlasError } from '../errors.ts';
import { type ImageNetClass, loadClassIndex } from './classes.ts';
import type { Engine } from './engine.ts';
import type { RgbImage } from './image.ts';
import type { ModelSpec } from './spec.ts';
import { topK } from './stats.ts';
import { missingLayersError } from './weights-check.ts';

export interface Prediction {
  index: number;
  wnid: string;
  label: string;
  probability: number;
}

export const OUTPUT_LAYER = 'predictions';

/** Why these weights cannot classify (the classifier head and the layers before it are missing), or null. */
export function classifierMissing(spec: ModelSpec, available: readonly string[]): AtlasError | null {
  return missingLayersError(spec, available, spec.layers.map((l) => l.name), { purpose: 'classification (the classifier head)' });
}

/** Throws (exit 2) naming the missing layers when the weights lack the head. */
export function assertCanClassify(engine: Engine): void {
  const e = classifierMissing(engine.spec, engine.layers());
  if (e) throw e;
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
