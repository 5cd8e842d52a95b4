// What drives each class: the units of the layer before the classifier's last conv, ranked by weight
// and by attribution over the class's own dataset images. For a head logit_c = mean_p relu(z_c(p))
// with z_c(p) = b_c + sum_i W_ci * A_i(p) (SqueezeNet's conv10 -> ReLU -> global average pool), input
// unit i's attribution on an image is (1/P) sum over the positions where z_c > 0 of W_ci * A_i(p): the
// logit's gradient times the input (exact here: the head is linear where the ReLU passes), so the
// attributions plus the gated bias sum to the logit, which the engine's own logit checks.
import { AtlasError } from '../errors.ts';
import { stackImages } from '../model/batch.ts';
import type { Engine } from '../model/engine.ts';
import { loadImage } from '../model/image.ts';
import { type IrNode, producers, weightedNodeOf } from '../model/ir.ts';
import type { KerasWeights } from '../model/keras-h5.ts';
import type { ModelSpec } from '../model/spec.ts';
import { type AttributedRanking, addContributions, rankByAttribution } from './attribution.ts';
import { graphConvSteps } from './graph-steps.ts';
import { type ConvStep, inputConnections, type RankedConnections } from './weights.ts';

export interface ClassHead {
  /** The conv layer whose unit c is class c's map. */
  layer: string;
  step: ConvStep;
  /** A ReLU between the conv and the pool (attribution counts only where it passes). */
  gated: boolean;
}

const THROUGH = new Set(['Flatten', 'Reshape', 'Dropout', 'Identity', 'GlobalAveragePool', 'Relu']);

/** The classifier's head, or why there is none this module can attribute through (a sentence). */
export function classHead(spec: ModelSpec): ClassHead | { reason: string } {
  const b = spec.graph;
  if (!spec.classifier) return { reason: `${spec.id} has no classifier` };
  if (!b) return { reason: `${spec.id}'s classifier is a dense head; class drivers are computed for a conv -> [ReLU] -> global-average-pool head (SqueezeNet's)` };
  const prod = producers(b.topology);
  let v = b.values[spec.classifier.layer];
  let gated = false;
  let pooled = false;
  let n: IrNode | undefined;
  while ((n = prod.get(v)) && THROUGH.has(n.op)) {
    if (n.op === 'Relu') gated = true;
    if (n.op === 'GlobalAveragePool') pooled = true;
    v = n.inputs[0];
  }
  const layer = spec.layers.find((l) => l.kind === 'conv' && weightedNodeOf(prod, b.values[l.name]) === n)?.name;
  if (n?.op !== 'Conv' || !pooled || !layer) {
    return { reason: `${spec.id}'s classifier does not end in a published conv layer -> [ReLU] -> global average pool (found ${n?.op ?? 'the input'}); class drivers need that head` };
  }
  return { layer, step: graphConvSteps(spec).find((s) => s.name === layer)!, gated };
}

export interface LabelledImage {
  file: string;
  /** Path relative to the dataset root (as pages show it). */
  rel: string;
  /** Class index (the classifier's output), or null when the class index does not know the image's class. */
  cls: number | null;
}

export interface ClassDrivers {
  index: number;
  /** By weight (W_ci), every class. */
  weight: RankedConnections;
  /** Over the class's dataset images; null when the dataset has none. */
  attribution: (AttributedRanking & { images: string[]; logit: number; bias: number }) | null;
}

export interface ClassDriversResult {
  head: ClassHead;
  classes: ClassDrivers[];
  /** Largest |sum of attributions + bias - the engine's logit| over the images, relative to the largest |logit|. */
  check: number;
  images: number;
}

export async function classDrivers(
  engine: Engine,
  weights: Pick<KerasWeights, 'layers'>,
  images: LabelledImage[],
  opts: { top?: number; batch?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<ClassDriversResult> {
  const spec = engine.spec;
  const head = classHead(spec);
  if ('reason' in head) throw new AtlasError(head.reason);
  const { step } = head;
  if (!step.inputTensor) throw new AtlasError(`${spec.id}: ${head.layer} reads the image itself; class drivers need a layer of units before it`);
  const w = weights.layers.get(head.layer)!;
  const classes = step.filters;
  const top = opts.top ?? 10;
  const batch = opts.batch ?? 16;
  const sums = new Map<number, { attr: Float64Array; images: string[]; logit: number; bias: number }>();
  const scored = images.filter((im): im is LabelledImage & { cls: number } => im.cls !== null && im.cls < classes);
  const contribution = new Float64Array(step.inChannels);
  let worst = 0;
  let largest = 0;
  for (let i = 0; i < scored.length; i += batch) {
    const chunk = scored.slice(i, i + batch);
    const rgb = await Promise.all(chunk.map((im) => loadImage(im.file, spec.inputSize)));
    const acts = await engine.activations(stackImages(rgb), [step.inputTensor, spec.classifier!.layer]);
    const input = acts.get(step.inputTensor)!;
    const logits = acts.get(spec.classifier!.layer)!;
    const [, h, wd] = input.shape;
    // The grid z_c lives on: the conv's output side at this input side.
    const outH = Math.floor((h + 2 * step.pad - step.kernel) / step.stride) + 1;
    const outW = Math.floor((wd + 2 * step.pad - step.kernel) / step.stride) + 1;
    chunk.forEach((im, k) => {
      const c = im.cls;
      const s = sums.get(c) ?? { attr: new Float64Array(step.inChannels), images: [], logit: 0, bias: 0 };
      const attr = new Float64Array(step.inChannels);
      let bias = 0;
      for (let y = 0; y < outH; y++)
        for (let x = 0; x < outW; x++) {
          contribution.fill(0);
          addContributions(input, k, x, y, w, c, contribution, step);
          const z = contribution.reduce((a, v) => a + v, w.bias[c]);
          if (head.gated && z <= 0) continue;
          for (let j = 0; j < attr.length; j++) attr[j] += contribution[j];
          bias += w.bias[c];
        }
      const positions = outH * outW;
      const logit = logits.data[k * classes + c];
      const ours = (attr.reduce((a, v) => a + v, 0) + bias) / positions;
      worst = Math.max(worst, Math.abs(ours - logit));
      largest = Math.max(largest, Math.abs(logit));
      for (let j = 0; j < attr.length; j++) s.attr[j] += attr[j] / positions;
      s.bias += bias / positions;
      s.logit += logit;
      s.images.push(im.rel);
      sums.set(c, s);
    });
    opts.onProgress?.(Math.min(i + batch, scored.length), scored.length);
  }
  const check = largest > 0 ? worst / largest : worst;
  // float32 activations summed in float64: far below this unless a rule here is wrong.
  if (check > 1e-3) throw new AtlasError(`${spec.id}: class attributions miss the logits by ${check.toExponential(2)} (relative)`, `the head of ${head.layer} is not what class-drivers.ts assumes; report it with the model card`);
  const out: ClassDrivers[] = [];
  for (let c = 0; c < classes; c++) {
    const s = sums.get(c);
    const mean = s ? s.attr.map((a) => a / s.images.length) : null;
    out.push({
      index: c,
      weight: inputConnections(step, w, c, top),
      attribution: s && mean ? { ...rankByAttribution(step, w, c, mean, top), images: s.images, logit: s.logit / s.images.length, bias: s.bias / s.images.length } : null,
    });
  }
  return { head, classes: out, check, images: scored.length };
}
