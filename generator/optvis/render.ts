// The optimization loop (Lucent's render_vis), one for every parametrization, per-step transform and
// optimizer (parts.ts): params -> image model -> RGB in (0, 1) -> the step's views (Lucid's warp, or
// MACO's crops) -> x255 -> network; the optimizer ascends the objective. The network is only reached
// through the Engine interface, which returns d(objective)/d(input); the views' adjoint and the image
// model carry that gradient back to the parameters. Everything between them is typed arrays.
import { isUnitLayer, unitCount } from '../model/spec.ts';
import { AtlasError } from '../errors.ts';
import { requireLayers } from '../model/weights-check.ts';
import type { Engine, NdArray, Objective } from '../model/engine.ts';
import { createOptimizer, type OptimizerName } from './adam.ts';
import { type CropSettings, cropTransform } from './crops.ts';
import type { ImageModelChoice } from './image-model.ts';
import { ImportanceAccumulator } from './importance.ts';
import type { LrSchedule } from './recipes.ts';
import { type ObjectiveName, type ObjectiveOptions, objectiveFor, optimizesPostRelu } from './objectives.ts';
import { fourierParam, macoParam, type ParamName, type ParamPart, type TransformPart, warpTransform } from './parts.ts';
import { prng, seedOf } from './random.ts';
import { STANDARD_TRANSFORMS, type TransformConfig } from './transform.ts';

export interface RenderSettings {
  size: number;
  steps: number;
  lr: number;
  seed: number;
  /** Learning-rate schedule over the steps: constant (Lucid) or cosine decay from lr to lr / 10. */
  schedule?: LrSchedule;
  /** null: no transformation robustness (for tests and ablations). */
  transforms?: TransformConfig | null;
  /** Record the curve every this many steps (and after the last); default CURVE_EVERY. */
  curveEvery?: number;
  objectiveOptions?: ObjectiveOptions;
  /** Where the image side runs (default auto: onnxruntime when it loads, else tfjs). */
  imageModel?: ImageModelChoice;
  /** Default adam (Lucid's). */
  optimizer?: OptimizerName;
  /** The parametrization: Lucid's Fourier spectra (default) or MACO's phase, which needs `magnitude`. */
  param?: ParamName;
  /** MACO's fixed magnitude [3, size, size/2+1] (maco-spectrum.ts). */
  magnitude?: Float32Array;
  /** The views each step: MACO's crops when given, else Lucid's warp (`transforms`). */
  crops?: CropSettings;
  /** When given, each image also gets its importance map (importance.ts), clipped at this percentile. */
  importance?: number;
}

/** Steps between two curve measurements (a forward pass on the untransformed images) by default. */
export const CURVE_EVERY = 16;

/** The learning rate of step `step` (0-based) of `steps`. */
export function lrAt(lr: number, schedule: LrSchedule, step: number, steps: number): number {
  if (schedule === 'constant' || steps <= 1) return lr;
  return lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * step) / (steps - 1))));
}

export interface RenderRequest extends RenderSettings {
  layer: string;
  objective: ObjectiveName;
  /** The unit each image of the batch shows (diversity: a unit repeated once per image of its group). */
  units: number[];
  /** Index of each image within its unit's set (0 except for diversity). */
  imageIndex: number[];
}

/**
 * The unit on an untransformed image. The objectives act on the pre-ReLU value (`pre`): the post-ReLU
 * numbers alone read "mean 0, max 0" for an image that pushes the unit below zero (negative).
 */
export interface UnitActivation {
  /** Post-ReLU channel mean and max. */
  mean: number;
  max: number;
  /** Pre-ReLU: channel mean (what channel and negative optimize), min, max, and the centre position (neuron). */
  pre: { mean: number; min: number; max: number; centre: number };
}

export interface RenderedImage {
  unit: number;
  index: number;
  /** size x size x 3, RGB in [0, 1]. */
  pixels: Float32Array;
  /** Post-ReLU channel mean of the unit on the untransformed image, every curveEvery steps. */
  curve: number[];
  /** The same for the pre-ReLU channel mean. */
  curvePre: number[];
  /** On the final untransformed image. */
  activation: UnitActivation;
  /** size x size in [0, 1]: where |d objective / d image| was large over the steps (requests with `importance`). */
  importance?: Float32Array;
}

export interface RenderResult {
  images: RenderedImage[];
  seconds: number;
  /** Where the time went, in seconds: image side forward (spectra to the transformed input), network (objective included), image side backward + Adam, curve measurements. */
  timings: { image: number; network: number; update: number; measure: number };
  /** Steps on which a post-ReLU objective's silent view took the pre-ReLU gradient (in the same network run). */
  redirected: number;
  /** The image model that ran ('onnxruntime' or 'tfjs'). */
  imageModel: string;
}

/** Each image starts from its own seed, so its result does not depend on what shares the batch. */
export function initSeed(seed: number, layer: string, unit: number, objective: string, index: number, param: ParamName = 'fourier'): number {
  return seedOf(`${param}-init`, seed, layer, unit, objective, index);
}

/** Clear errors for an unknown layer or a unit out of range, before any work. */
export function checkUnits(engine: Engine, layer: string, units: number[]): void {
  const available = engine.layers();
  const unitLayers = engine.spec.layers.filter((l) => isUnitLayer(l) && available.includes(l.name)).map((l) => l.name);
  requireLayers(engine.spec, available, [layer], { choices: unitLayers, choicesLabel: 'layers to visualize' });
  const spec = engine.spec.layers.find((l) => l.name === layer)!;
  // Conv units, and the classes of an output layer (class visualizations: the objective on a logit).
  if (!isUnitLayer(spec)) throw new AtlasError(`layer ${layer} is a ${spec.kind} layer; visualize a conv layer (or the logits)`);
  const count = unitCount(spec);
  const bad = [...new Set(units.filter((u) => !Number.isInteger(u) || u < 0 || u >= count))];
  if (bad.length) throw new AtlasError(`unit(s) ${bad.join(', ')} out of range for ${layer}: it has units 0..${count - 1}`);
}

/**
 * Image i's unit, post- and pre-ReLU, from one pre-ReLU forward (post-ReLU = max(0, pre-ReLU), exactly
 * what the network's ReLU computes).
 */
export async function measureUnits(engine: Engine, pixels: NdArray, layer: string, units: number[]): Promise<UnitActivation[]> {
  const x = { data: pixels.data.map((v) => v * 255), shape: pixels.shape };
  const act = (await engine.activations(x, [layer], { preRelu: true })).get(layer)!;
  // A flat layer (logits) is one position per unit.
  const [n, h, w, c] = act.shape.length === 2 ? [act.shape[0], 1, 1, act.shape[1]] : act.shape;
  const centre = Math.floor(h / 2) * w + Math.floor(w / 2);
  return Array.from({ length: n }, (_, i) => {
    let s = 0;
    let preSum = 0;
    let preMin = Infinity;
    let preMax = -Infinity;
    const base = i * h * w * c + units[i];
    for (let p = 0; p < h * w; p++) {
      const v = act.data[base + p * c];
      s += v > 0 ? v : 0;
      preSum += v;
      if (v < preMin) preMin = v;
      if (v > preMax) preMax = v;
    }
    const max = preMax > 0 ? preMax : 0;
    return { mean: s / (h * w), max, pre: { mean: preSum / (h * w), min: preMin, max: preMax, centre: act.data[base + centre * c] } };
  });
}

/** The parts a request asks for (parts.ts). */
async function createParts(req: RenderRequest): Promise<{ param: ParamPart; transform: TransformPart }> {
  const n = req.units.length;
  const kind = req.param ?? 'fourier';
  const init = (i: number) => prng(initSeed(req.seed, req.layer, req.units[i], req.objective, req.imageIndex[i], kind));
  let param: ParamPart;
  if (kind === 'maco') {
    if (!req.magnitude) throw new AtlasError('a MACO visualization needs its magnitude spectrum', 'compute it with macoMagnitude (optvis/maco-spectrum.ts) from the dataset');
    param = await macoParam(n, req.size, req.magnitude, init);
  } else param = await fourierParam(n, req.size, init, req.imageModel);
  const transform = req.crops ? cropTransform(req.size, req.crops, req.seed) : warpTransform(req.size, req.transforms === undefined ? STANDARD_TRANSFORMS : req.transforms, req.seed);
  return { param, transform };
}

export async function render(engine: Engine, req: RenderRequest, onStep?: (step: number) => void): Promise<RenderResult> {
  const t0 = performance.now();
  checkUnits(engine, req.layer, req.units);
  const n = req.units.length;
  const { size } = req;
  const curveEvery = req.curveEvery ?? CURVE_EVERY;
  const { param, transform } = await createParts(req);
  const { params, model } = param;
  // The network sees `copies` views of each image, view-major: image i's unit for every view.
  const viewUnits = Array.from({ length: transform.copies }, () => req.units).flat();
  const objective = objectiveFor(req.objective, viewUnits, req.objectiveOptions);
  // A post-ReLU channel or neuron objective gets no gradient from a view whose unit is off everywhere (its
  // value 0): that view takes the pre-ReLU one instead, until the unit fires (Lucid's redirected ReLU
  // gradient, at the objective's layer). Without it, a unit silent on the initial image stays a grey square.
  // The engine does it in the same run (ActivationOptions.redirect).
  const redirect = !!objective.postRelu && optimizesPostRelu(req.objective, true);
  let redirected = 0;
  const optimizer = createOptimizer(req.optimizer ?? 'adam', params.length, req.lr);
  const curves: number[][] = req.units.map(() => []);
  const curvesPre: number[][] = req.units.map(() => []);
  const timings = { image: 0, network: 0, update: 0, measure: 0 };
  const importance = req.importance === undefined ? null : new ImportanceAccumulator(n, size);
  const record = async (rgb: Float32Array) => {
    const t = performance.now();
    const m = await measureUnits(engine, { data: rgb, shape: [n, size, size, 3] }, req.layer, req.units);
    m.forEach((v, i) => {
      curves[i].push(v.mean);
      curvesPre[i].push(v.pre.mean);
    });
    timings.measure += (performance.now() - t) / 1000;
    return m;
  };
  try {
    for (let step = 0; step < req.steps; step++) {
      let t = performance.now();
      const rgb = await model.forward(params);
      timings.image += (performance.now() - t) / 1000;
      if (step % curveEvery === 0) await record(rgb);
      t = performance.now();
      const views = transform.views(rgb, n);
      const { x, side } = views;
      for (let i = 0; i < x.length; i++) x[i] *= 255;
      timings.image += (performance.now() - t) / 1000;
      t = performance.now();
      const input = { data: x, shape: [n * transform.copies, side, side, 3] };
      const { grad, values } = await engine.inputGradient(input, req.layer, objective, { preRelu: !objective.postRelu, redirect });
      if (redirect && values.some((v) => !(v > 0))) redirected++;
      timings.network += (performance.now() - t) / 1000;
      t = performance.now();
      const dRgb = views.adjoint(grad.data);
      for (let i = 0; i < dRgb.length; i++) dRgb[i] *= 255;
      importance?.add(dRgb);
      optimizer.ascend(params, await model.backward(params, rgb, dRgb), lrAt(req.lr, req.schedule ?? 'constant', step, req.steps));
      timings.update += (performance.now() - t) / 1000;
      onStep?.(step + 1);
    }
    const final = await model.forward(params);
    const activation = await record(final);
    const per = size * size * 3;
    return {
      images: req.units.map((unit, i) => ({
        unit,
        index: req.imageIndex[i],
        pixels: final.slice(i * per, (i + 1) * per),
        curve: curves[i],
        curvePre: curvesPre[i],
        activation: activation[i],
        ...(importance ? { importance: importance.alpha(i, req.importance!) } : {}),
      })),
      seconds: (performance.now() - t0) / 1000,
      timings,
      redirected,
      imageModel: model.name,
    };
  } finally {
    model.dispose();
  }
}
