// Feature visualization of many units: splits them into batches, spreads the batches over one worker
// per core (each with its own engine), and writes one PNG per image.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../fsutil.ts';
import { encodePng } from '../model/image.ts';
import { encodeGrayPng } from './importance.ts';
import { type LoadOptions, loadModel, wantsWorkers } from '../model/load.ts';
import { WorkerPool, defaultWorkerCount } from '../parallel/pool.ts';
import { DIVERSITY_GROUP, type ObjectiveName } from './objectives.ts';
import { render, type RenderRequest, type RenderResult, type RenderSettings, type UnitActivation } from './render.ts';

export interface VisualizeOptions extends RenderSettings {
  model: LoadOptions;
  layer: string;
  units: number[];
  objective: ObjectiveName;
  /** Images per optimization batch (a diversity unit always keeps its group together). */
  batch?: number;
  /** Worker threads; 1 runs in this process. Default: one per core. */
  workers?: number;
  onProgress?: (stepsDone: number, stepsTotal: number) => void;
  /** Called as each batch finishes (so a caller can save it before the others are done). */
  onResult?: (units: UnitVisualization[]) => Promise<void> | void;
}

export interface UnitImage {
  index: number;
  pixels: Float32Array;
  activation: UnitActivation;
  curve: number[];
  curvePre: number[];
  /** size x size in [0, 1] (requests with `importance`: MACO's). */
  importance?: Float32Array;
}

/** A unit's activation over its images, with the pre-ReLU curve (the JSON's `activation.pre.curve`). */
export interface UnitVisualizationActivation extends UnitActivation {
  pre: UnitActivation['pre'] & {
    /** Pre-ReLU channel mean on the untransformed image every curveEvery steps: what channel and negative optimize. */
    curve: number[];
  };
}

export interface UnitVisualization {
  layer: string;
  unit: number;
  objective: ObjectiveName;
  size: number;
  steps: number;
  seed: number;
  /** Mean over the unit's images (one image except for diversity). */
  activation: UnitVisualizationActivation;
  /** Post-ReLU channel mean every curveEvery steps (the pre-ReLU one: activation.pre.curve). */
  curve: number[];
  /** Wall time of the batch that rendered this unit, and how many images shared it. */
  seconds: number;
  batch: number;
  /** Where the image side ran ('onnxruntime' or 'tfjs'). */
  imageModel: string;
  images: UnitImage[];
}

export const DEFAULT_BATCH = 4;

/** Splits units into render requests of about `batch` images each. */
export function planBatches(opts: Pick<VisualizeOptions, 'layer' | 'units' | 'objective' | 'batch'> & RenderSettings): RenderRequest[] {
  const per = opts.objective === 'diversity' ? DIVERSITY_GROUP : 1;
  const unitsPerBatch = Math.max(1, Math.floor((opts.batch ?? DEFAULT_BATCH) / per));
  const out: RenderRequest[] = [];
  for (let i = 0; i < opts.units.length; i += unitsPerBatch) {
    const chunk = opts.units.slice(i, i + unitsPerBatch);
    out.push({
      size: opts.size,
      steps: opts.steps,
      lr: opts.lr,
      schedule: opts.schedule,
      seed: opts.seed,
      transforms: opts.transforms,
      curveEvery: opts.curveEvery,
      objectiveOptions: opts.objectiveOptions,
      imageModel: opts.imageModel,
      optimizer: opts.optimizer,
      param: opts.param,
      magnitude: opts.magnitude,
      crops: opts.crops,
      importance: opts.importance,
      layer: opts.layer,
      objective: opts.objective,
      units: chunk.flatMap((u) => Array(per).fill(u)),
      imageIndex: chunk.flatMap(() => Array.from({ length: per }, (_, k) => k)),
    });
  }
  return out;
}

function collect(req: RenderRequest, res: RenderResult): UnitVisualization[] {
  const byUnit = new Map<number, UnitImage[]>();
  for (const im of res.images) {
    const list = byUnit.get(im.unit) ?? [];
    list.push({ index: im.index, pixels: im.pixels, activation: im.activation, curve: im.curve, curvePre: im.curvePre, ...(im.importance ? { importance: im.importance } : {}) });
    byUnit.set(im.unit, list);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const avgCurve = (curves: number[][]) => curves[0].map((_, k) => avg(curves.map((c) => c[k])));
  return [...byUnit.entries()].map(([unit, images]) => ({
    layer: req.layer,
    unit,
    objective: req.objective,
    size: req.size,
    steps: req.steps,
    seed: req.seed,
    activation: {
      mean: avg(images.map((i) => i.activation.mean)),
      max: avg(images.map((i) => i.activation.max)),
      pre: {
        mean: avg(images.map((i) => i.activation.pre.mean)),
        min: avg(images.map((i) => i.activation.pre.min)),
        max: avg(images.map((i) => i.activation.pre.max)),
        centre: avg(images.map((i) => i.activation.pre.centre)),
        curve: avgCurve(images.map((i) => i.curvePre)),
      },
    },
    curve: avgCurve(images.map((i) => i.curve)),
    seconds: res.seconds,
    batch: req.units.length,
    imageModel: res.imageModel,
    images,
  }));
}

export async function visualize(opts: VisualizeOptions): Promise<UnitVisualization[]> {
  const requests = planBatches(opts);
  // Worker threads only help single-threaded engines (tfjs on wasm/cpu); onnxruntime and native
  // TensorFlow already use every core in one process.
  const workers = Math.min(opts.workers ?? ((await wantsWorkers(opts.model)) ? defaultWorkerCount() : 1), requests.length);
  const total = requests.length * opts.steps;
  const done = new Array<number>(requests.length).fill(0);
  const report = (i: number, step: number) => {
    done[i] = step;
    opts.onProgress?.(
      done.reduce((a, b) => a + b, 0),
      total,
    );
  };
  let results: RenderResult[];
  if (workers <= 1) {
    const { engine } = await loadModel(opts.model);
    results = [];
    for (let i = 0; i < requests.length; i++) {
      results.push(await render(engine, requests[i], (s) => report(i, s)));
      await opts.onResult?.(collect(requests[i], results[i]));
    }
    engine.dispose();
  } else {
    // Each worker's engine gets its share of the memory its sessions may keep.
    const pool = new WorkerPool<RenderRequest, RenderResult>(fileURLToPath(new URL('./worker-task.ts', import.meta.url)), { ...opts.model, engines: workers }, workers);
    try {
      await pool.started();
      results = await Promise.all(
        requests.map(async (r, i) => {
          const res = await pool.run(r, (s) => report(i, s as number));
          await opts.onResult?.(collect(r, res));
          return res;
        }),
      );
    } finally {
      await pool.close();
    }
  }
  return requests.flatMap((r, i) => collect(r, results[i]));
}

/** `<layer>_<unit>_<objective>[_<i>].png` (the index only for multi-image objectives). */
export function imageFileName(v: Pick<UnitVisualization, 'layer' | 'unit' | 'objective' | 'images'>, index: number): string {
  return `${v.layer}_${v.unit}_${v.objective}${v.images.length > 1 ? `_${index}` : ''}.png`;
}

export async function writeImages(v: UnitVisualization, dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const im of v.images) {
    const file = path.join(dir, imageFileName(v, im.index));
    writeFileAtomic(file, await encodePng(im.pixels, v.size, v.size));
    files.push(file);
  }
  return files;
}

/** MACO's importance maps beside the images: `<layer>_<unit>_<objective>[_<i>]_importance.png` (8-bit grayscale). */
export async function writeImportance(v: UnitVisualization, dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const im of v.images) {
    if (!im.importance) continue;
    const file = path.join(dir, imageFileName(v, im.index).replace(/\.png$/, '_importance.png'));
    writeFileAtomic(file, await encodeGrayPng(im.importance, v.size, v.size));
    files.push(file);
  }
  return files;
}
