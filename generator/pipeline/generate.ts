// `atlas generate`: turns a config into jobs, skips the ones whose outputs exist with the same content
// hash, runs the rest stage by stage (dataset examples, circuits, feature visualizations, model check),
// writing every output atomically and each job's record last, then assembles the files the site reads.
import path from 'node:path';
import { circuitJson, unitCircuit } from '../circuit/index.ts';
import { datasetExampleSource } from '../circuit/attribution.ts';
import { AtlasError } from '../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../fsutil.ts';
import { initBackend } from '../model/backend.ts';
import { classify } from '../model/classify.ts';
import { encodePng, loadImage } from '../model/image.ts';
import { availableLayers, readKerasWeights, type KerasWeights } from '../model/keras-h5.ts';
import { getSpec, loadModel, locateWeights, type LoadOptions, resolveEngine } from '../model/load.ts';
import type { ModelSpec } from '../model/spec.ts';
import { resolveImageModel } from '../optvis/image-model.ts';
import { DIVERSITY_GROUP } from '../optvis/objectives.ts';
import { visualize, type UnitVisualization } from '../optvis/visualize.ts';
import { assemble, type AssembleContext, type DatasetInfo } from './assemble.ts';
import { type AtlasConfig, checkConfig } from './config.ts';
import { inShard, isFresh, type Job, makeJob, type Stage, writeRecord } from './jobs.ts';
import { type FvTask, type Plan, planAtlas } from './plan.ts';
import { SCHEMA, type Provenance } from './schema.ts';
import { codeVersions } from './versions.ts';

export interface GenerateOptions {
  config: AtlasConfig;
  configFile: string;
  /** Only jobs of this layer (and unit). */
  only?: { layer: string; unit?: number };
  /** Only jobs of these stages (e.g. everything but the costly feature visualizations). */
  stages?: Stage[];
  /** Rerun the selected jobs even if fresh. */
  force?: boolean;
  shard?: { index: number; count: number };
  log?: (msg: string) => void;
  verbose?: (msg: string) => void;
  progress?: (done: number, total: number, current: string) => void;
}

export interface GenerateSummary {
  run: number;
  skipped: number;
  stages: Record<string, number>;
  engine: string;
  backend: string;
  out: string;
}

/** What every stage needs: the assembly context without the plan, plus how to load the engine. */
interface Context extends Omit<AssembleContext, 'plan' | 'backend'> {
  load: LoadOptions;
  /** Where feature visualization's image side runs (part of the fv jobs' identity). */
  imageModel: 'onnxruntime' | 'tfjs';
}

export function fvFiles(t: Pick<FvTask, 'layer' | 'unit' | 'objective'>, spec: ModelSpec): { json: string; images: string[] } {
  const dir = `${spec.id}/${t.layer}/${t.unit}`;
  const n = t.objective === 'diversity' ? DIVERSITY_GROUP : 1;
  return {
    json: `${dir}/fv-${t.objective}.json`,
    images: Array.from({ length: n }, (_, i) => `${dir}/fv-${t.objective}${n > 1 ? `-${i}` : ''}.png`),
  };
}

function provenance(ctx: Context, stage: string, hash: string, settings: Record<string, unknown>, withDataset: boolean): Provenance {
  return {
    stage,
    hash,
    weights: { file: path.basename(ctx.weights.path), sha256: ctx.weights.sha256 },
    ...(withDataset && ctx.dataset ? { dataset: { root: path.basename(ctx.dataset.root), digest: ctx.dataset.digest, images: ctx.dataset.images } } : {}),
    engine: ctx.engineName,
    settings,
    versions: ctx.versions,
  };
}

async function openDatasetInfo(config: AtlasConfig, log: (m: string) => void): Promise<DatasetInfo> {
  const { openDataset, resolveDatasetPath, datasetDigest } = await import('../dataset/source.ts');
  const ds = openDataset(resolveDatasetPath(config.dataset), { limit: config.datasetLimit, warn: (m) => log(`warning: ${m}`) });
  return { root: ds.root, digest: await datasetDigest(ds), images: ds.images.length, dataset: ds };
}

export async function generate(opts: GenerateOptions): Promise<GenerateSummary> {
  const log = opts.log ?? (() => {});
  const verbose = opts.verbose ?? (() => {});
  const { config } = opts;
  const spec = getSpec(config.model);
  const load: LoadOptions = { model: config.model, weights: config.weights, backend: config.backend, engine: config.engine };
  const weightsFile = locateWeights(spec, config.weights);
  const backend = await initBackend(config.backend);
  const weights = await readKerasWeights(weightsFile, spec);
  const available = availableLayers(spec, weights);
  checkConfig(config, spec, available, path.basename(opts.configFile));
  const plan = planAtlas(config, spec, weights);
  const engineKind = await resolveEngine(load);
  const engineName = engineKind === 'onnxruntime' ? 'onnxruntime' : `tfjs-${backend.name}`;
  const out = path.resolve(config.out);
  const dataset = plan.layers.length ? await openDatasetInfo(config, log) : null;
  const imageModel = await resolveImageModel();
  const ctx: Context = { config, spec, weights, available, out, engineName, load, dataset, versions: codeVersions(), imageModel };
  log(`${spec.id}: ${plan.layers.length} layer(s) with examples, ${plan.fv.length} feature visualization(s), ${plan.circuits.length} circuit(s); engine ${engineName}`);

  const jobs = planJobs(ctx, plan);
  const selected = jobs.filter((j) => matchesOnly(j.job, opts.only) && (!opts.stages || opts.stages.includes(j.job.stage)) && inShard(j.job.id, opts.shard));
  const pending = selected.filter((j) => opts.force || !isFresh(out, j.job));
  for (const j of selected) verbose(`${pending.includes(j) ? 'run ' : 'skip'} ${j.job.id} (${j.job.hash.slice(0, 12)})`);
  log(`jobs: ${pending.length} to run, ${selected.length - pending.length} up to date${opts.shard ? ` (shard ${opts.shard.index + 1}/${opts.shard.count} of ${jobs.length})` : ''}`);

  const stages: Record<string, number> = {};
  let done = 0;
  const tick = (label: string) => opts.progress?.(done, pending.length, label);
  const timed = async (stage: string, fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    stages[stage] = (stages[stage] ?? 0) + (performance.now() - t) / 1000;
  };
  const finish = (j: PlannedJob, seconds: number) => {
    writeRecord(out, j.job, seconds);
    done++;
    tick(j.job.id);
  };
  tick('starting');

  const byStage = (s: string) => pending.filter((j) => j.job.stage === s);
  const examples = byStage('examples');
  if (examples.length) await timed('examples', () => runExamples(ctx, examples, finish, log));
  const circuits = byStage('circuits');
  if (circuits.length) await timed('circuits', () => runCircuits(ctx, circuits, finish));
  const graphs = byStage('graph');
  if (graphs.length) await timed('graph', () => runGraphs(ctx, graphs, finish));
  const fv = byStage('fv');
  if (fv.length) await timed('fv', () => runFv(ctx, fv, finish, (d, t, label) => opts.progress?.(done + d / Math.max(t, 1), pending.length, label)));
  const tuning = byStage('tuning');
  if (tuning.length) await timed('tuning', () => runTuning(ctx, tuning, finish));
  const model = byStage('model');
  if (model.length) await timed('model', () => runModelCheck(ctx, model, finish));

  if (!opts.shard) await timed('assemble', () => assemble({ ...ctx, plan, backend: backend.name }));
  const summary = { run: pending.length, skipped: selected.length - pending.length, stages, engine: engineName, backend: backend.name, out };
  writeJsonAtomic(path.join(out, 'run.json'), {
    schema: SCHEMA,
    startedAt: new Date(Date.now() - Object.values(stages).reduce((a, b) => a + b, 0) * 1000).toISOString(),
    finishedAt: new Date().toISOString(),
    jobs: { run: summary.run, skipped: summary.skipped },
    stages,
    engine: engineName,
    backend: backend.name,
  });
  return summary;
}

interface PlannedJob {
  job: Job;
  layer: string;
  unit?: number;
  fv?: FvTask;
  tuning?: Plan['tuning'][number];
  circuit?: Plan['circuits'][number];
}

function matchesOnly(job: Job, only: GenerateOptions['only']): boolean {
  if (!only) return true;
  const [, layer, unit] = job.id.split(':');
  if (layer !== only.layer) return false;
  return only.unit === undefined || unit === undefined || Number(unit) === only.unit;
}

function planJobs(ctx: Context, plan: Plan): PlannedJob[] {
  const { spec, weights, dataset, config, engineName } = ctx;
  const w = weights.sha256;
  const jobs: PlannedJob[] = [];
  for (const layer of plan.layers) {
    jobs.push({
      layer,
      job: makeJob('examples', `examples:${layer}`, { weights: w, dataset: dataset?.digest, layer, top: config.examples.top }, [`${spec.id}/${layer}/examples.json`]),
    });
    jobs.push({ layer, job: makeJob('circuits', `circuits:${layer}`, { weights: w, layer }, [`${spec.id}/${layer}/circuits.json`]) });
  }
  for (const c of plan.circuits) {
    jobs.push({
      layer: c.layer,
      unit: c.unit,
      circuit: c,
      job: makeJob(
        'graph',
        `graph:${c.layer}:${c.unit}`,
        { weights: w, layer: c.layer, unit: c.unit, depth: c.depth, top: c.top, rank: c.rank, dataset: c.rank === 'attribution' ? dataset?.digest : undefined },
        [`${spec.id}/${c.layer}/${c.unit}/graph.json`],
      ),
    });
  }
  for (const t of plan.fv) {
    const files = fvFiles(t, spec);
    jobs.push({
      layer: t.layer,
      unit: t.unit,
      fv: t,
      job: makeJob('fv', `fv:${t.layer}:${t.unit}:${t.objective}`, { weights: w, engine: engineName, imageModel: ctx.imageModel, layer: t.layer, unit: t.unit, objective: t.objective, settings: t.settings }, [files.json, ...files.images]),
    });
  }
  for (const t of plan.tuning) {
    jobs.push({
      layer: t.layer,
      unit: t.unit,
      tuning: t,
      job: makeJob('tuning', `tuning:${t.layer}:${t.unit}:${t.stimulus}`, { weights: w, engine: engineName, layer: t.layer, unit: t.unit, stimulus: t.stimulus }, [
        `${spec.id}/${t.layer}/${t.unit}/tuning-${t.stimulus}.json`,
      ]),
    });
  }
  jobs.push({ layer: '', job: makeJob('model', 'model', { weights: w, dataset: dataset?.digest }, [`${spec.id}/model-check.json`]) });
  return jobs;
}

async function runExamples(ctx: Context, jobs: PlannedJob[], finish: (j: PlannedJob, s: number) => void, log: (m: string) => void): Promise<void> {
  if (!ctx.dataset) throw new AtlasError('dataset examples need a dataset', 'set "dataset" in the config or ATLAS_DATASET_DIR');
  const { examplesForLayers } = await import('../dataset/index.ts');
  const t = performance.now();
  const result = await examplesForLayers({
    model: ctx.load,
    dataset: ctx.config.dataset,
    imageLimit: ctx.config.datasetLimit,
    layers: jobs.map((j) => j.layer),
    top: ctx.config.examples.top,
    out: ctx.out,
    quiet: true,
  });
  const seconds = (performance.now() - t) / 1000 / jobs.length;
  for (const j of jobs) {
    const r = result.get(j.layer)!;
    if (r.skipped.length) log(`${j.layer}: ${r.skipped.length} dataset file(s) skipped (${r.skipped.slice(0, 3).map((s) => `${s.file}: ${s.reason}`).join('; ')})`);
    writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), {
      schema: SCHEMA,
      ...r,
      provenance: provenance(ctx, 'examples', j.job.hash, { top: ctx.config.examples.top, limit: ctx.config.datasetLimit ?? null }, true),
    });
    finish(j, seconds);
  }
}

/** Every unit's input and output connections (weights only: milliseconds per unit). */
async function runCircuits(ctx: Context, jobs: PlannedJob[], finish: (j: PlannedJob, s: number) => void): Promise<void> {
  for (const j of jobs) {
    const t = performance.now();
    const layer = ctx.spec.layers.find((l) => l.name === j.layer);
    const units = layer?.kind === 'conv' ? layer.filters : 0;
    const all = Array.from({ length: units }, (_, u) => {
      const c = unitCircuit(ctx.spec, ctx.weights, j.layer, u, { top: 10, depth: 0 });
      const json = circuitJson(c);
      return { unit: u, source: c.source, target: c.target, rank: c.rank, inputs: json.inputs, excitatory: json.excitatory, inhibitory: json.inhibitory, outputs: json.outputs, ...(c.outputsNote ? { outputsNote: c.outputsNote } : {}), maxAbs: inputMaxAbs(ctx.weights, j.layer, u) };
    });
    writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, layer: j.layer, units: all, provenance: provenance(ctx, 'circuits', j.job.hash, { top: 10 }, false) });
    finish(j, (performance.now() - t) / 1000);
  }
}

/** Largest |w| over all of a unit's input kernels: one colour scale for all its kernel pictures. */
export function inputMaxAbs(weights: Pick<KerasWeights, 'layers'>, layer: string, unit: number): number {
  const w = weights.layers.get(layer)!;
  const cout = w.kernelShape[3];
  let m = 0;
  for (let i = unit; i < w.kernel.length; i += cout) m = Math.max(m, Math.abs(w.kernel[i]));
  return m;
}

async function runGraphs(ctx: Context, jobs: PlannedJob[], finish: (j: PlannedJob, s: number) => void): Promise<void> {
  for (const j of jobs) {
    const t = performance.now();
    const c = j.circuit!;
    let attribution: Float64Array | undefined;
    if (c.rank === 'attribution') {
      const { inputAttribution } = await import('../circuit/attribution.ts');
      const source = datasetExampleSource({ dataset: ctx.config.dataset, out: ctx.out, model: ctx.load, limit: ctx.config.datasetLimit, quiet: true });
      const { engine } = await loadModel(ctx.load);
      attribution = await inputAttribution(engine, ctx.weights, c.layer, c.unit, await source(c.layer, c.unit));
      engine.dispose();
    }
    const circuit = unitCircuit(ctx.spec, ctx.weights, c.layer, c.unit, { top: c.top, depth: c.depth, attribution });
    const json = circuitJson(circuit);
    writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), {
      schema: SCHEMA,
      layer: c.layer,
      unit: c.unit,
      depth: c.depth,
      top: c.top,
      rank: circuit.rank,
      root: { inputs: json.inputs, excitatory: json.excitatory, inhibitory: json.inhibitory },
      graph: json.graph,
      provenance: provenance(ctx, 'graph', j.job.hash, { depth: c.depth, top: c.top, rank: c.rank }, c.rank === 'attribution'),
    });
    finish(j, (performance.now() - t) / 1000);
  }
}

/** Feature visualizations, batched by identical settings; each batch is saved as soon as it is done. */
async function runFv(ctx: Context, jobs: PlannedJob[], finish: (j: PlannedJob, s: number) => void, progress: (done: number, total: number, label: string) => void): Promise<void> {
  const groups = new Map<string, PlannedJob[]>();
  for (const j of jobs) {
    const t = j.fv!;
    const key = JSON.stringify([t.layer, t.objective, t.settings]);
    groups.set(key, [...(groups.get(key) ?? []), j]);
  }
  for (const group of groups.values()) {
    const t = group[0].fv!;
    const byUnit = new Map(group.map((j) => [j.fv!.unit, j]));
    await visualize({
      model: ctx.load,
      layer: t.layer,
      units: group.map((j) => j.fv!.unit),
      objective: t.objective,
      size: t.settings.size,
      steps: t.settings.steps,
      lr: t.settings.lr,
      seed: t.settings.seed,
      batch: t.settings.batch,
      imageModel: ctx.imageModel,
      onProgress: (d, total) => progress(d, total, `fv ${t.layer} ${t.objective}`),
      onResult: async (results: UnitVisualization[]) => {
        for (const v of results) {
          const j = byUnit.get(v.unit)!;
          const files = fvFiles(j.fv!, ctx.spec);
          for (const [i, im] of v.images.entries()) writeFileAtomic(path.join(ctx.out, files.images[i]), await encodePng(im.pixels, v.size, v.size));
          writeJsonAtomic(path.join(ctx.out, files.json), {
            schema: SCHEMA,
            objective: v.objective,
            images: v.images.map((im, i) => ({ file: files.images[i], activation: im.activation })),
            activation: v.activation,
            curve: v.curve,
            settings: { size: v.size, steps: v.steps, lr: t.settings.lr, seed: v.seed },
            provenance: provenance(ctx, 'fv', j.job.hash, { ...j.fv!.settings, objective: v.objective, imageModel: ctx.imageModel }, false),
          });
          finish(j, v.seconds);
        }
      },
    });
  }
}

/** Synthetic-stimulus tuning curves (atlas tune) of featured units. */
async function runTuning(ctx: Context, jobs: PlannedJob[], finish: (j: PlannedJob, s: number) => void): Promise<void> {
  const { tuneUnit } = await import('../stimuli/tuning.ts');
  const { engine } = await loadModel(ctx.load);
  try {
    for (const j of jobs) {
      const t = performance.now();
      const { layer, unit, stimulus } = j.tuning!;
      const result = await tuneUnit(engine, ctx.spec, { layer, unit, stimulus });
      writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...result, provenance: provenance(ctx, 'tuning', j.job.hash, { stimulus }, false) });
      finish(j, (performance.now() - t) / 1000);
    }
  } finally {
    engine.dispose();
  }
}

/** The model check: top-5 classes of a few dataset images, when the weights have the classifier head. */
async function runModelCheck(ctx: Context, jobs: PlannedJob[], finish: (j: PlannedJob, s: number) => void): Promise<void> {
  const t = performance.now();
  const j = jobs[0];
  let body: Record<string, unknown>;
  if (!ctx.available.includes('predictions')) {
    const missing = ctx.spec.layers.map((l) => l.name).filter((n) => !ctx.available.includes(n));
    body = {
      available: false,
      reason: `The weights (${path.basename(ctx.weights.path)}) hold only ${ctx.available.filter((l) => !l.includes('pool')).join(', ')}; classification needs ${missing.join(', ')}. Get the full Keras file with \`npm run fetch-model\` and regenerate.`,
    };
  } else if (!ctx.dataset) {
    body = { available: false, reason: 'No dataset configured: nothing to classify.' };
  } else {
    const { engine } = await loadModel(ctx.load);
    const sample = ctx.dataset.dataset.images.slice(0, 6);
    const images = await Promise.all(sample.map((im) => loadImage(im.file, ctx.spec.inputSize)));
    const preds = await classify(engine, images, 5);
    engine.dispose();
    body = { available: true, results: sample.map((im, i) => ({ image: im.rel, full: '', top: preds[i].map((p) => ({ wnid: p.wnid, label: p.label, probability: p.probability })) })) };
  }
  writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...body, provenance: provenance(ctx, 'model', j.job.hash, {}, true) });
  finish(j, (performance.now() - t) / 1000);
}
