// The model check: top-k ImageNet classes of an image. Needs the classifier head in the weights.
import { AtlasError } from '../errors.ts';
import { type ImageNetClass, loadClassIndex } from './classes.ts';
import { stackImages } from './batch.ts';
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

/** The layers classification runs through: the network up to its classifier layer (none without one). */
export function classifierLayers(spec: ModelSpec): string[] {
  const upTo = spec.classifier ? spec.layers.findIndex((l) => l.name === spec.classifier!.layer) : -1;
  return spec.layers.slice(0, upTo + 1).map((l) => l.name);
}

/** Why these weights cannot classify (the model has no classifier, or the head and the layers before it are missing), or null. */
export function classifierMissing(spec: ModelSpec, available: readonly string[]): AtlasError | null {
  if (!spec.classifier) return new AtlasError(`${spec.id} has no classifier layer`, 'name one in the model card ("classifier": {"layer", "outputs"})');
  return missingLayersError(spec, available, classifierLayers(spec), { purpose: 'classification (the classifier head)' });
}

/** Softmax of one row of logits, in float64 (the model check's probabilities). */
function softmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return Float32Array.from(row, (v) => Math.exp(v - max) / sum);
}

/** Throws (exit 2) naming the missing layers when the weights lack the head. */
export function assertCanClassify(engine: Engine): void {
  const e = classifierMissing(engine.spec, engine.layers());
  if (e) throw e;
}

export async function classify(engine: Engine, images: RgbImage[], top = 5, classes: ImageNetClass[] = loadClassIndex()): Promise<Prediction[][]> {
  assertCanClassify(engine);
  const { layer, outputs } = engine.spec.classifier!;
  const probs = (await engine.activations(stackImages(images), [layer])).get(layer)!;
  const n = probs.shape[1];
  return images.map((_, i) => {
    const out = probs.data.subarray(i * n, (i + 1) * n);
    const row = outputs === 'logits' ? softmax(out) : out;
    return topK(row, top).map((k) => ({ index: k, wnid: classes[k]?.wnid ?? `class${k}`, label: classes[k]?.label ?? `class ${k}`, probability: row[k] }));
  });
}
