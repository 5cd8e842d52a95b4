// `atlas generate`: turns a config into jobs, skips the ones whose outputs exist with the same content
// hash, runs the rest stage by stage (dataset examples, circuits, feature visualizations, model check),
// writing every output atomically and each job's record last, then assembles the files the site reads.
import path from 'node:path';
import { writeJsonAtomic } from '../fsutil.ts';
import { initBackend } from '../model/backend.ts';
import { availableLayers } from '../model/keras-h5.ts';
import { getSpec, type LoadOptions, readWeights, resolveRuntime } from '../model/load.ts';
import { resolveImageModel } from '../optvis/image-model.ts';
import { assemble, type DatasetInfo } from './assemble.ts';
import { admits, type AtlasDecision, describeDecision, describeHeadStart, describeHeadStartDone, duration, estimateAtlas, nextBatchSeconds, pendingAtlases, unitBatches, writeBudgetRecord } from './budget.ts';
import { type AtlasConfig, checkConfig, expandLayers } from './config.ts';
import { matchesOnly, planJobs } from './job-plan.ts';
import { inShard, isFresh, readRecord, type Stage, writeRecord } from './jobs.ts';
import { planAtlas } from './plan.ts';
import { fvCostScale, openRunLog, type ProgressEvent, progressInterval, ProgressTracker } from './progress.ts';
import { SCHEMA } from './schema.ts';
import type { PlannedJob, StageContext, StageHooks } from './stages/context.ts';
import { runCircuits } from './stages/circuits.ts';
import { runExamples } from './stages/examples.ts';
import { runFv } from './stages/fv.ts';
import { runGraphs } from './stages/graph.ts';
import { runModelCheck } from './stages/model-check.ts';
import { runTuning } from './stages/tuning.ts';
import { runPose } from './stages/pose.ts';
import { stageVersions } from './stage-versions.ts';
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
  /** Jobs done (fractional inside running jobs) of total: for a progress bar. */
  progress?: (done: number, total: number, current: string) => void;
  /** Plain progress lines (job start and finish, a status line inside long jobs): for logs. */
  progressLine?: (line: string) => void;
  /** Seconds of silence before a status line inside long jobs; default $ATLAS_PROGRESS_INTERVAL or 30. */
  progressInterval?: number;
  /** Budget in minutes (budget.ts); null: none; default: the config's. */
  budget?: number | null;
  /** Each stage's code version; default: hashed from the project's sources (tests inject their own). */
  stageVersions?: Record<Stage, string>;
}

export interface GenerateSummary {
  run: number;
  skipped: number;
  stages: Record<string, number>;
  /** The budget's decisions on the layer atlases (none without a budget). */
  budget: AtlasDecision[];
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
  // The budget counts from here: loading and planning are part of the run.
  const tStart = performance.now();
  let runLog: ((line: string) => void) | null = null;
  const log = (m: string) => {
    opts.log?.(m);
    runLog?.(m);
  };
  const verbose = opts.verbose ?? (() => {});
  const spec = getSpec(opts.config.model);
  const load: LoadOptions = { model: opts.config.model, weights: opts.config.weights, backend: opts.config.backend, engine: opts.config.engine, device: opts.config.device };
  const backend = await initBackend(opts.config.backend);
  const weights = await readWeights(spec, opts.config.weights);
  const available = availableLayers(spec, weights);
  checkConfig(opts.config, spec, available, path.basename(opts.configFile));
  // From here on the config names its layers: `layer: '*'` is the layers these weights hold.
  const config = expandLayers(opts.config, spec, available);
  const interval = opts.progressInterval ?? progressInterval();
  const plan = planAtlas(config, spec, weights);
  // The device is in the name ('onnxruntime-cuda'), so CPU and GPU results never share a job hash.
  const engineName = (await resolveRuntime(load)).name;
  const out = path.resolve(config.out);
  runLog = openRunLog(out, `atlas generate --config ${opts.configFile}${opts.only ? ` --only ${opts.only.layer}${opts.only.unit === undefined ? '' : `:${opts.only.unit}`}` : ''}${opts.shard ? ` --shard ${opts.shard.index + 1}/${opts.shard.count}` : ''}${opts.stages ? ` --stages ${opts.stages.join(',')}` : ''}${opts.force ? ' --force' : ''}`);
  const dataset = plan.layers.length ? await openDatasetInfo(config, log) : null;
  const imageModel = await resolveImageModel();
  const ctx: StageContext = { config, spec, weights, available, out, engineName, load, dataset, versions: codeVersions(), imageModel };
  log(`${spec.id}: ${plan.layers.length} layer(s) with examples, ${plan.fv.length} feature visualization(s), ${plan.circuits.length} circuit(s); engine ${engineName}`);

  const jobs = planJobs(ctx, plan, opts.stageVersions ?? stageVersions());
  const selected = jobs.filter((j) => matchesOnly(j.job, opts.only) && (!opts.stages || opts.stages.includes(j.job.stage)) && inShard(j.job.id, opts.shard));
  const pending = selected.filter((j) => opts.force || !isFresh(out, j.job));
  for (const j of selected) verbose(`${pending.includes(j) ? 'run ' : 'skip'} ${j.job.id} (${j.job.hash.slice(0, 12)})`);
  log(`jobs: ${pending.length} to run, ${selected.length - pending.length} up to date${opts.shard ? ` (shard ${opts.shard.index + 1}/${opts.shard.count} of ${jobs.length})` : ''}`);

  // Progress: plain lines to the caller (off a terminal) and to run.log; a position for a bar.
  const tracker = new ProgressTracker(
    pending.map((j) => ({ id: j.job.id, stage: j.job.stage, weight: readRecord(out, j.job)?.seconds, ...(j.fv ? { scale: fvCostScale(j.fv) } : {}) })),
    interval,
  );
  const print = (line: string | null) => {
    if (!line) return;
    opts.progressLine?.(line);
    runLog?.(line);
  };
  const emit = (e: ProgressEvent, label: string) => {
    print(tracker.update(e));
    opts.progress?.(tracker.position, tracker.total, label);
  };
  const heartbeat = setInterval(() => print(tracker.heartbeat()), (interval * 1000) / 4);
  heartbeat.unref();

  const stages: Record<string, number> = {};
  const t0 = performance.now();
  const timed = async (stage: Stage, run: (hooks: StageHooks) => Promise<void>) => {
    const t = performance.now();
    await run({
      start: (js) => emit({ kind: 'start', stage, jobs: js.map((j) => j.job.id) }, js[0].job.id),
      finish: (j, seconds) => {
        writeRecord(out, j.job, seconds);
        emit({ kind: 'finish', stage, job: j.job.id, seconds }, j.job.id);
      },
      progress: (done, total, label, unit, share) => emit({ kind: 'inner', stage, label, done, total, unit, share }, label),
      log,
    });
    stages[stage] = (stages[stage] ?? 0) + (performance.now() - t) / 1000;
  };
  opts.progress?.(0, pending.length, 'starting');

  const runners: Array<[Stage, (ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks) => Promise<void>]> = [
    ['examples', runExamples],
    ['circuits', runCircuits],
    ['graph', runGraphs],
    ['fv', runFv],
    ['tuning', runTuning],
    ['pose', runPose],
    ['model', runModelCheck],
  ];
  const budget = opts.budget === undefined ? (config.budget?.minutes ?? null) : opts.budget;
  const decisions: AtlasDecision[] = [];
  const dropped = new Set<string>();
  const leftOut: Array<{ d: AtlasDecision; jobs: PlannedJob[] }> = [];
  // Under a budget the ETA counts a layer atlas only once it is admitted.
  if (budget !== null) tracker.hold(pending.filter((j) => j.fv?.atlas !== undefined).map((j) => j.job.id));
  try {
    // Layer atlases last: they are what a budget may leave out, and what a killed run should lose first.
    for (const [stage, runner] of runners) {
      const these = pending.filter((j) => j.job.stage === stage && j.fv?.atlas === undefined);
      if (these.length) await timed(stage, (hooks) => runner(ctx, these, hooks));
    }
    for (const { entry } of pendingAtlases(plan.atlases, pending.flatMap((j) => (j.fv ? [j.fv] : [])))) {
      const these = pending.filter((j) => j.fv?.atlas === entry.index);
      if (budget !== null) {
        print(tracker.phase('budget', `estimating layer atlas ${entry.layer} (${entry.recipe}) on this machine`));
        const estimate = await estimateAtlas(ctx, these.map((j) => j.fv!));
        const elapsed = (performance.now() - tStart) / 1000;
        const d: AtlasDecision = { layer: entry.layer, recipe: entry.recipe, pending: new Set(these.map((j) => j.fv!.unit)).size, units: entry.units, estimate, left: budget * 60 - elapsed, admitted: admits(elapsed, budget, estimate) };
        decisions.push(d);
        log(describeDecision(d, budget));
        if (!d.admitted) {
          for (const j of these) dropped.add(j.job.id);
          leftOut.push({ d, jobs: these });
          continue;
        }
        tracker.release(these.map((j) => j.job.id));
      }
      const t = performance.now();
      await timed('fv', (hooks) => runFv(ctx, these, hooks));
      const d = decisions.at(-1);
      if (d?.layer === entry.layer) log(`budget: layer atlas ${entry.layer} (${entry.recipe}) took ${duration((performance.now() - t) / 1000)} (estimated ${duration(d.estimate)})`);
    }
    // What is left goes to whole batches of the atlases left out, in their order (deepest first), one
    // batch at a time while the next one, at the pace measured so far, fits in what is left.
    for (const { d, jobs: these } of leftOut) {
      const soFar = { units: 0, seconds: 0 };
      for (const batch of unitBatches(these.map((j) => j.fv!))) {
        const units = new Set(batch.map((t) => t.unit)).size;
        const left = budget! * 60 - (performance.now() - tStart) / 1000;
        const expect = nextBatchSeconds(d, units, soFar);
        if (expect > left) break;
        if (soFar.units === 0) {
          log(describeHeadStart(d, left, expect));
          // Counted and in the ETA while it lasts; the ETA ends with the budget at the latest.
          tracker.release(these.map((j) => j.job.id));
          tracker.stopBy((tStart + budget! * 60_000) / 1000);
        }
        const ahead = these.filter((j) => batch.includes(j.fv!));
        for (const j of ahead) dropped.delete(j.job.id);
        const t = performance.now();
        await timed('fv', (hooks) => runFv(ctx, ahead, hooks));
        soFar.units += units;
        soFar.seconds += (performance.now() - t) / 1000;
      }
      if (soFar.units === 0) continue;
      tracker.hold(these.filter((j) => dropped.has(j.job.id)).map((j) => j.job.id));
      tracker.stopBy(null);
      d.headStart = soFar.units;
      log(describeHeadStartDone(d, soFar));
    }
    if (budget !== null && !opts.shard) writeBudgetRecord(out, spec.id, budget, decisions);
    if (!opts.shard) {
      print(tracker.phase('assemble', 'assembling the files the site reads'));
      const t = performance.now();
      await assemble({ ...ctx, plan, backend: backend.name });
      stages.assemble = (performance.now() - t) / 1000;
    }
  } finally {
    clearInterval(heartbeat);
  }
  const summary = { run: pending.length - dropped.size, skipped: selected.length - pending.length, stages, budget: decisions, engine: engineName, backend: backend.name, out };
  runLog(`finished in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${summary.run} job(s) run, ${summary.skipped} up to date`);
  writeJsonAtomic(path.join(out, 'run.json'), {
    schema: SCHEMA,
    startedAt: new Date(Date.now() - Object.values(stages).reduce((a, b) => a + b, 0) * 1000).toISOString(),
    finishedAt: new Date().toISOString(),
    model: spec.id,
    jobs: { run: summary.run, skipped: summary.skipped },
    stages,
    ...(budget === null ? {} : { budget: { minutes: budget, atlases: decisions } }),
    engine: engineName,
    backend: backend.name,
  });
  return summary;
}
