// Data-aware ranking of a unit's inputs. A large weight on a channel that never fires contributes nothing,
// so instead of the kernel's norm rank input channel i by its mean contribution to the unit where the unit
// fires most: sum over the k x k window of W[dy, dx, i, c] * A_i(y + dy - 1, x + dx - 1), where A is the
// layer's actual input tensor (post-ReLU output of L-1, after the pool if any; the preprocessed image for
// the first conv), averaged over the unit's top dataset examples. Summed over i and plus the bias, it is
// the unit's pre-ReLU activation there.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { AtlasError } from '../errors.ts';
import type { Engine, NdArray } from '../model/engine.ts';
import { loadImage, preprocessPixels } from '../model/image.ts';
import type { KerasWeights, LayerWeights } from '../model/keras-h5.ts';
import type { LoadOptions } from '../model/load.ts';
import { type Connection, type ConvStep, type RankedConnections, checkUnit, convStep, inputConnection, inputMeasures, kernelOf, rankIndices } from './weights.ts';

export interface AttributionExample {
  /** Absolute path of the image. */
  image: string;
  /** The unit's position in its layer's grid (its max, for dataset examples). */
  x: number;
  y: number;
}

/** A dataset example: also the unit's value there (its post-ReLU max), which pose compares against. */
export interface DatasetExample extends AttributionExample {
  activation: number;
}

/**
 * Adds, for every input channel i, the contribution to `unit` at (x, y) of image n of `input` (the layer's
 * input tensor [N, h, w, in]) into `out`. The conv reads input (y·stride + dy - pad, x·stride + dx - pad)
 * (default: 'same', stride 1); positions outside the grid are its zero padding and contribute nothing.
 */
export function addContributions(input: NdArray, n: number, x: number, y: number, w: LayerWeights, unit: number, out: Float64Array, geometry?: { stride: number; pad: number }): Float64Array {
  const [, h, wd, cin] = input.shape;
  const [kh, kw, kin, cout] = w.kernelShape;
  if (kin !== cin) throw new Error(`input has ${cin} channels, the kernel expects ${kin}`);
  const stride = geometry?.stride ?? 1;
  const py = geometry?.pad ?? (kh - 1) / 2;
  const px = geometry?.pad ?? (kw - 1) / 2;
  for (let dy = 0; dy < kh; dy++) {
    const yy = y * stride + dy - py;
    if (yy < 0 || yy >= h) continue;
    for (let dx = 0; dx < kw; dx++) {
      const xx = x * stride + dx - px;
      if (xx < 0 || xx >= wd) continue;
      const a = ((n * h + yy) * wd + xx) * cin;
      const k = (dy * kw + dx) * cin * cout + unit;
      for (let i = 0; i < cin; i++) out[i] += w.kernel[k + i * cout] * input.data[a + i];
    }
  }
  return out;
}

export interface AttributionOptions {
  /** Images per forward pass (default 8: block3 inputs are 3 MB an image). */
  batch?: number;
}

/** Mean contribution of every input channel of `unit` of `layer` over the examples (see the top of the file). */
export async function inputAttribution(
  engine: Engine,
  weights: Pick<KerasWeights, 'layers'>,
  layer: string,
  unit: number,
  examples: AttributionExample[],
  opts: AttributionOptions = {},
): Promise<Float64Array> {
  const spec = engine.spec;
  const step = convStep(spec, weights, layer);
  checkUnit(step, unit);
  if (examples.length === 0) throw new AtlasError(`no examples to attribute ${layer} unit ${unit} with`, 'the dataset has no top examples for this unit');
  const w = weights.layers.get(layer)!;
  const sum = new Float64Array(step.inChannels);
  const batch = opts.batch ?? 8;
  const size = spec.inputSize;
  for (let b = 0; b < examples.length; b += batch) {
    const chunk = examples.slice(b, b + batch);
    const images = await Promise.all(chunk.map((e) => loadImage(e.image, size)));
    const input = await layerInput(engine, step, images.map((i) => i.data), size);
    chunk.forEach((e, n) => {
      const [, h, wd] = input.shape;
      if (!(Number.isInteger(e.x) && Number.isInteger(e.y) && e.x >= 0 && e.y >= 0 && e.x < wd && e.y < h)) {
        throw new AtlasError(`example position (${e.x}, ${e.y}) of ${e.image} is outside ${layer}'s ${wd}x${h} grid`);
      }
      addContributions(input, n, e.x, e.y, w, unit, sum, step);
    });
  }
  return sum.map((s) => s / examples.length);
}

/** The input tensor of conv `step` for RGB [0, 255] images: the layer before it, or the preprocessed image. */
async function layerInput(engine: Engine, step: ConvStep, rgb: Float32Array[], size: number): Promise<NdArray> {
  const per = size * size * 3;
  const data = new Float32Array(rgb.length * per);
  if (step.inputTensor === null) {
    rgb.forEach((img, n) => data.set(preprocessPixels(img, engine.spec.preprocessing), n * per));
    return { data, shape: [rgb.length, size, size, 3] };
  }
  rgb.forEach((img, n) => data.set(img, n * per));
  const acts = await engine.activations({ data, shape: [rgb.length, size, size, 3] }, [step.inputTensor]);
  return acts.get(step.inputTensor)!;
}

export interface AttributedConnection extends Connection {
  /** Mean contribution to the unit at its max position over the examples. */
  attribution: number;
}

export interface AttributedRanking extends RankedConnections {
  inputs: AttributedConnection[];
  excitatory: AttributedConnection[];
  inhibitory: AttributedConnection[];
}

/**
 * The three input rankings by attribution: `inputs` by |attribution|, `excitatory` by the most positive,
 * `inhibitory` by the most negative attribution. `sign` keeps describing the kernel (its sum), so a channel
 * may sit in `excitatory` with an inhibitory kernel: its input pattern, not its kernel's sum, decides.
 */
export function rankByAttribution(step: ConvStep, w: LayerWeights, unit: number, attribution: Float64Array, top: number): AttributedRanking {
  const m = inputMeasures(w, unit);
  const make = (i: number): AttributedConnection => ({ ...inputConnection(step, i, m, kernelOf(w, i, unit)), attribution: attribution[i] });
  return {
    inputs: rankIndices(attribution.map(Math.abs), top).map(make),
    excitatory: rankIndices(attribution, top, (a) => a > 0).map(make),
    inhibitory: rankIndices(attribution.map((a) => -a), top, (a) => a > 0).map(make),
  };
}

/** Where `--rank attribution` gets a unit's examples from. */
export type ExampleSource = (layer: string, unit: number) => Promise<AttributionExample[]>;

export interface DatasetSourceOptions {
  /** Image folder or CSV manifest; default $ATLAS_DATASET_DIR. */
  dataset?: string;
  /** The dataset stage's output folder (its cache and crops live there, shared with `atlas examples`). */
  out: string;
  model?: LoadOptions;
  /** Only the first n images of the dataset. */
  limit?: number;
  /** n images spread over the dataset instead (dataset/source.ts `spread`). */
  sample?: number;
  /** Examples per unit (default the dataset stage's, 16): the pipeline passes its config's, to share its cache. */
  top?: number;
  quiet?: boolean;
  /** Who needs the examples, for the error without a dataset (default: --rank attribution, which can rank by weight instead). */
  purpose?: { what: string; otherwise?: string };
}

/**
 * The unit's top dataset examples, from the dataset stage (`examplesForLayers`, cached in `out`). Without
 * a dataset this throws at once (exit 2), before any network is loaded: attribution needs data.
 */
export function datasetExampleSource(opts: DatasetSourceOptions): (layer: string, unit: number) => Promise<DatasetExample[]> {
  const given = opts.dataset ?? process.env.ATLAS_DATASET_DIR;
  if (!given) {
    const purpose = opts.purpose ?? { what: '--rank attribution', otherwise: 'rank by weight (--rank weight)' };
    throw new AtlasError(
      `${purpose.what} needs dataset examples, and no dataset was given`,
      `pass --dataset DIR (an image folder, e.g. ../shared/datasets/imagenet-sample) or set ATLAS_DATASET_DIR${purpose.otherwise ? `; or ${purpose.otherwise}` : ''}`,
    );
  }
  const location = path.resolve(given);
  if (!existsSync(location)) throw new AtlasError(`dataset not found: ${location}`, 'check --dataset or ATLAS_DATASET_DIR');
  // Example.image is relative to the dataset root: the folder, or a CSV manifest's folder.
  const root = statSync(location).isFile() ? path.dirname(location) : location;
  return async (layer, unit) => {
    // Loaded here, not at the top: the weight-only paths (CLI default, pipeline) never need the dataset stage.
    const { examplesForLayers } = await import('../dataset/index.ts');
    const result = (
      await examplesForLayers({ model: opts.model, dataset: location, layers: [layer], out: opts.out, top: opts.top, imageLimit: opts.limit, imageSample: opts.sample, quiet: opts.quiet, cropUnits: [] })
    ).get(layer)!;
    return result.units[unit].top.map((e) => ({ image: path.join(root, ...e.image.split('/')), x: e.x, y: e.y, activation: e.activation }));
  };
}
