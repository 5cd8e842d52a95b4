// The examples stage: one dataset pass for every pending layer, then each layer's examples.json.
import path from 'node:path';
import { AtlasError } from '../../errors.ts';
import { writeJsonAtomic } from '../../fsutil.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type Share, type StageContext, type StageHooks } from './context.ts';

/**
 * The dataset pass costs about as much as six layers' crops (the default atlas on 2 cores: 75 s for 1000
 * images through block1..block3, then 12 s of crops a layer): the shares of the stage's progress.
 */
const PASS_WEIGHT = 6;

/** The dataset pass's share of the jobs' work, then each layer's crops' (in `layers` order). */
export function examplesShares(layers: string[]): { pass: Share; crops: Map<string, Share> } {
  const whole = PASS_WEIGHT + layers.length;
  const pass = { from: 0, to: PASS_WEIGHT / whole };
  return { pass, crops: new Map(layers.map((l, i) => [l, { from: (PASS_WEIGHT + i) / whole, to: (PASS_WEIGHT + i + 1) / whole }])) };
}

export async function runExamples(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  if (!ctx.dataset) throw new AtlasError('dataset examples need a dataset', 'set "dataset" in the config or ATLAS_DATASET_DIR');
  const { examplesForLayers } = await import('../../dataset/index.ts');
  hooks.start(jobs);
  const t = performance.now();
  const images = ctx.dataset.images;
  const layers = jobs.map((j) => j.layer);
  const shares = examplesShares(layers);
  const result = await examplesForLayers({
    model: ctx.load,
    dataset: ctx.config.dataset,
    imageLimit: ctx.config.datasetLimit,
    layers,
    top: ctx.config.examples.top,
    out: ctx.out,
    quiet: true,
    onImage: (done) => hooks.progress(done, images, 'dataset pass', 'images', shares.pass),
    onCrops: (layer, done, total) => hooks.progress(done, total, `crops of ${layer}`, 'images', shares.crops.get(layer)),
  });
  const seconds = (performance.now() - t) / 1000 / jobs.length;
  for (const j of jobs) {
    const r = result.get(j.layer)!;
    if (r.skipped.length) hooks.log(`${j.layer}: ${r.skipped.length} dataset file(s) skipped (${r.skipped.slice(0, 3).map((s) => `${s.file}: ${s.reason}`).join('; ')})`);
    writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), {
      schema: SCHEMA,
      ...r,
      provenance: provenance(ctx, 'examples', j.job.hash, { top: ctx.config.examples.top, limit: ctx.config.datasetLimit ?? null }, true),
    });
    hooks.finish(j, seconds);
  }
}
