// Dataset examples: which images, and which classes, excite each unit most (and least). The API other
// stages call (circuits, the generation pipeline); `atlas examples` is a thin command over it.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { progressBar } from '../progress-bar.ts';
import { AtlasError } from '../errors.ts';
import { sha256File } from '../model/keras-h5.ts';
import { getSpec, locateWeights, resolveRuntime } from '../model/load.ts';
import { layerShapes, type ModelSpec, receptiveFields } from '../model/spec.ts';
import { cacheKey, cropsKey, readCache, setCropsKey, writeCache } from './cache.ts';
import { type CropJob, writeCrops } from './crops.ts';
import { type PassLayer, runPass } from './pass.ts';
import { layerExamples } from './results.ts';
import { datasetDigest, openDataset, resolveDatasetPath, type Dataset } from './source.ts';
import type { ExamplesOptions, LayerExamples } from './types.ts';

export type { ClassSummary, Example, ExamplesOptions, LayerExamples, Skipped, UnitExamples } from './types.ts';
export { passCounters } from './pass.ts';

export const DEFAULT_TOP = 16;

/**
 * Checks that every layer exists and is spatial (has a receptive field, so crops make sense); returns
 * each layer's unit count and grid. Bad input (exit 2) otherwise.
 */
export function spatialLayers(spec: ModelSpec, layers: string[]): PassLayer[] {
  if (layers.length === 0) throw new AtlasError('no layer given', 'name a conv or pool layer, e.g. block3_conv4');
  const rfs = receptiveFields(spec);
  const shapes = layerShapes(spec);
  return layers.map((name) => {
    if (!rfs.has(name)) {
      const known = spec.layers.some((l) => l.name === name);
      throw new AtlasError(
        known ? `layer ${name} is not spatial: dataset examples need a conv or pool layer` : `unknown layer '${name}' for ${spec.id}`,
        `${spec.id}'s spatial layers (a prefix weights file holds the first ones): ${[...rfs.keys()].join(', ')}`,
      );
    }
    const shape = shapes.get(name)!;
    // A flat output layer (an imported model's logits) is a 1x1 grid whose field is the whole image.
    const [h, w, c] = shape.length === 1 ? [1, 1, shape[0]] : shape;
    const l = spec.layers.find((x) => x.name === name)!;
    return { name, units: c, grid: [h, w] as [number, number], signed: l.kind === 'conv' && l.activation === 'relu' };
  });
}

/** Every unit of every layer: top/bottom/negative examples with crops, top classes, histogram, firing rate. */
export async function examplesForLayers(opts: ExamplesOptions): Promise<Map<string, LayerExamples>> {
  const spec = getSpec(opts.model?.model ?? 'vgg19');
  const layers = spatialLayers(spec, [...new Set(opts.layers)]);
  const k = opts.top ?? DEFAULT_TOP;
  if (!Number.isInteger(k) || k <= 0) throw new AtlasError(`top must be a positive integer, got ${k}`);
  if (opts.imageLimit !== undefined && (!Number.isInteger(opts.imageLimit) || opts.imageLimit <= 0)) {
    throw new AtlasError(`imageLimit must be a positive integer, got ${opts.imageLimit}`);
  }
  const say = (msg: string) => {
    if (!opts.quiet) process.stderr.write(`${msg}\n`);
  };
  const out = path.resolve(opts.out);
  const ds = openDataset(resolveDatasetPath(opts.dataset), { limit: opts.imageLimit, sample: opts.imageSample, warn: (m) => say(`warning: ${m}`) });
  for (const s of ds.skipped) say(`warning: skipped ${s.file}: ${s.reason}`);
  const weightsSha = await sha256File(locateWeights(spec, opts.model?.weights));
  const digest = await datasetDigest(ds);
  // The backend and the device too: tfjs on wasm, cpu or native TensorFlow, onnxruntime on the CPU or a GPU differ in the last bits.
  const runtime = await resolveRuntime(opts.model ?? {});
  const engine = runtime.name;
  say(`dataset ${ds.root} (${ds.layout}): ${ds.images.length} images, ${ds.classes.length} classes; engine ${engine}`);

  const results = new Map<string, LayerExamples>();
  const keys = new Map(layers.map((l) => [l.name, cacheKey({ spec, engine, weightsSha256: weightsSha, datasetDigest: digest, layer: l.name, k })]));
  const toCompute = [];
  for (const l of layers) {
    const hit = readCache(out, l.name, keys.get(l.name)!);
    if (hit) {
      say(`${l.name}: cached (${hit.images} images)`);
      results.set(l.name, hit);
    } else toCompute.push(l);
  }

  if (toCompute.length) {
    const t0 = performance.now();
    const pass = await runPass(ds, {
      model: opts.model ?? {},
      inputSize: spec.inputSize,
      layers: toCompute,
      k,
      // One worker on WebGPU: onnxruntime's WebGPU context is the process's, and two threads building their
      // sessions at once fail (measured on lavapipe: "compute_pipeline.has_value() was false"); one GPU
      // gains nothing from a second session anyway.
      workers: runtime.device === 'webgpu' ? 1 : opts.workers,
      quiet: opts.quiet,
      onImage: opts.onImage,
      onSkip: (s) => say(`warning: skipped ${s.file}: ${s.reason}`),
    });
    const skipped = [...ds.skipped, ...pass.skipped];
    const done = pass.partials.get(toCompute[0].name)!.images;
    if (done === 0) {
      throw new AtlasError(`no image of ${ds.root} could be read (${skipped.length} skipped, e.g. ${skipped[0]?.file}: ${skipped[0]?.reason})`, 'check that the dataset holds JPEG/PNG/WebP images');
    }
    say(`pass: ${done} images in ${seconds(t0)} s${skipped.length ? `, ${skipped.length} skipped` : ''}`);
    for (const l of toCompute) {
      const r = layerExamples(pass.partials.get(l.name)!, ds, spec.id, skipped);
      writeCache(out, keys.get(l.name)!, r);
      results.set(l.name, r);
    }
  }

  for (const l of layers) {
    const key = keys.get(l.name)!;
    const r = results.get(l.name)!;
    // The whole layer keys its crops folder (and prunes it); an ad-hoc subset only adds its own.
    const whole = !opts.cropUnits;
    const units = whole ? r.units : r.units.filter((u) => opts.cropUnits!.includes(u.unit));
    if ((!whole || cropsKey(out, spec.id, l.name) === key) && cropsPresent(out, units)) continue;
    const t0 = performance.now();
    const files = await writeLayerCrops(out, spec, r.layer, units, ds, { prune: whole, quiet: opts.quiet, onCrops: opts.onCrops });
    say(`crops ${l.name}: ${files} files${whole ? '' : ` for ${units.length} unit(s)`} in ${seconds(t0)} s`);
    if (whole) setCropsKey(out, spec.id, l.name, key);
  }
  return new Map(opts.layers.map((l) => [l, results.get(l)!]));
}

const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(1);

function cropsPresent(out: string, units: LayerExamples['units']): boolean {
  return units.every((u) => [...u.top, ...u.bottom, ...u.negative].every((e) => existsSync(path.join(out, e.crop))));
}

/** Every file under dir (recursively), as paths relative to it. */
function filesUnder(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

interface CropWriting {
  /** Remove crops no example of these units names (only when they are every unit of the layer). */
  prune: boolean;
  quiet?: boolean;
  onCrops?: ExamplesOptions['onCrops'];
}

/** Writes every example's crop of these units (each (image, position) once, whichever units share it); returns how many. */
async function writeLayerCrops(out: string, spec: ModelSpec, layer: string, units: LayerExamples['units'], ds: Dataset, how: CropWriting): Promise<number> {
  const { quiet, onCrops } = how;
  const rf = receptiveFields(spec).get(layer)!;
  const fileOf = new Map(ds.images.map((im) => [im.rel, im.file]));
  const jobs = new Map<string, CropJob>();
  for (const u of units) {
    for (const e of [...u.top, ...u.bottom, ...u.negative]) {
      const dest = path.join(out, e.crop);
      if (!jobs.has(dest)) jobs.set(dest, { file: fileOf.get(e.image)!, x: e.x, y: e.y, dest });
    }
    // Per-unit crops of an older generator: the shared ones replace them.
    rmSync(path.join(out, spec.id, layer, String(u.unit), 'examples'), { recursive: true, force: true });
  }
  // Crops no example names any more (an earlier run with a larger --top, another dataset) would linger.
  const root = path.join(out, spec.id, layer, 'crops');
  if (how.prune) for (const f of filesUnder(root)) if (!jobs.has(path.join(root, f))) rmSync(path.join(root, f));
  const images = new Set([...jobs.values()].map((j) => j.file)).size;
  const bar = quiet ? null : progressBar(`crops ${layer}`, { unit: 'images' });
  bar?.update(0, images);
  let done = 0;
  try {
    await writeCrops([...jobs.values()], rf, spec.inputSize, 4, () => {
      done++;
      bar?.update(done, images);
      onCrops?.(layer, done, images);
    });
  } finally {
    bar?.stop();
  }
  return jobs.size;
}
