// `atlas generate`: turns a config into jobs, skips the ones whose outputs exist with the same content
// hash, runs the rest stage by stage (dataset examples, circuits, feature visualizations, model check),
// writing every output atomically and each job's record last, then assembles the files the site reads.
import path from 'node:path';
import { writeJsonAtomic } from '../fsutil.ts';
import { initBackend } from '../model/backend.ts';
import { availableLayers, readKerasWeights } from '../model/keras-h5.ts';
import { getSpec, locateWeights, type LoadOptions, resolveEngine } from '../model/load.ts';
import { resolveImageModel } from '../optvis/image-model.ts';
import { assemble, type DatasetInfo } from './assemble.ts';
import { type AtlasConfig, checkConfig } from './config.ts';
import { matchesOnly, planJobs } from './job-plan.ts';
import { inShard, isFresh, type Stage, writeRecord } from './jobs.ts';
import { planAtlas } from './plan.ts';
import { SCHEMA } from './schema.ts';
import type { PlannedJob, StageContext } from './stages/context.ts';
import { runCircuits } from './stages/circuits.ts';
import { runExamples } from './stages/examples.ts';
import { runFv } from './stages/fv.ts';
import { runGraphs } from './stages/graph.ts';
import { runModelCheck } from './stages/model-check.ts';
import { runTuning } from './stages/tuning.ts';
import { stageVersions } from './stage-versions.ts';
import { codeVersions } from './versions.ts';

export interface GenerateOptions {
  config: AtlasConfig;
  configFile: string;
  /** Only jobs of this layer (and unit). */
  only?: { layer: string; unit?: number };
  /** Rerun the selected jobs even if fresh. */
  force?: boolean;
  shard?: { index: number; count: number };
  log?: (msg: string) => void;
  verbose?: (msg: string) => void;
  progress?: (done: number, total: number, current: string) => void;
  /** Each stage's code version; default: hashed from the project's sources (tests inject their own). */
  stageVersions?: Record<Stage, string>;
}

export interface GenerateSummary {
  run: number;
  skipped: number;
  stages: Record<string, number>;
  engine: string;
  backend: string;
  out: string;
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
  const ctx: StageContext = { config, spec, weights, available, out, engineName, load, dataset, versions: codeVersions(), imageModel };
  log(`${spec.id}: ${plan.layers.length} layer(s) with examples, ${plan.fv.length} feature visualization(s), ${plan.circuits.length} circuit(s); engine ${engineName}`);

  const jobs = planJobs(ctx, plan, opts.stageVersions ?? stageVersions());
  const selected = jobs.filter((j) => matchesOnly(j.job, opts.only) && inShard(j.job.id, opts.shard));
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
