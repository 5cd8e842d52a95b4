// The feature-visualization stage: jobs batched by identical settings; each batch is saved as soon as
// it is done, so an interrupted run keeps every finished batch. MACO batches first get the dataset's
// magnitude spectrum at their size (computed once, cached under <out>/.cache).
import path from 'node:path';
import { AtlasError } from '../../errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../../fsutil.ts';
import { encodePng } from '../../model/image.ts';
import type { ModelSpec } from '../../model/spec.ts';
import { encodeGrayPng } from '../../optvis/importance.ts';
import { macoMagnitude, type MacoSpectrum } from '../../optvis/maco-spectrum.ts';
import { DIVERSITY_GROUP } from '../../optvis/objectives.ts';
import { transformsOf } from '../../optvis/recipes.ts';
import { visualize, type UnitVisualization } from '../../optvis/visualize.ts';
import type { FvTask } from '../plan.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

/** File prefix per recipe: `fv-` for the full recipe, `grid-` and `maco-` for theirs. */
const PREFIX = { full: 'fv', grid: 'grid', maco: 'maco' } as const;

/**
 * The files of one feature visualization: its JSON, its PNG(s), and with MACO each image's importance
 * map (`<image>-importance.png`, 8-bit grayscale, already clipped and normalized).
 */
export function fvFiles(t: Pick<FvTask, 'layer' | 'unit' | 'objective' | 'recipe'> & { settings?: Pick<FvTask['settings'], 'param'> }, spec: ModelSpec): { json: string; images: string[]; importance: string[] } {
  const dir = `${spec.id}/${t.layer}/${t.unit}`;
  const n = t.objective === 'diversity' ? DIVERSITY_GROUP : 1;
  const base = `${dir}/${PREFIX[t.recipe]}-${t.objective}`;
  const stems = Array.from({ length: n }, (_, i) => `${base}${n > 1 ? `-${i}` : ''}`);
  return {
    json: `${base}.json`,
    images: stems.map((s) => `${s}.png`),
    importance: t.settings?.param === 'maco' ? stems.map((s) => `${s}-importance.png`) : [],
  };
}

/** The dataset's magnitude spectrum at `size` (once per size per run; cached on disk across runs). */
function spectrumOf(ctx: StageContext, hooks: StageHooks): (size: number) => Promise<MacoSpectrum> {
  const bySize = new Map<number, Promise<MacoSpectrum>>();
  return (size) => {
    let s = bySize.get(size);
    if (!s) {
      const ds = ctx.dataset;
      if (!ds) throw new AtlasError("recipe 'maco' needs a dataset for its magnitude spectrum", 'set "dataset" in the config or ATLAS_DATASET_DIR');
      const files = ds.dataset.images.map((im) => im.file);
      // Said in the status line, not counted: the render's steps, after it, are the job's progress.
      const said = (d: number, total: number) => hooks.progress(d, total, `MACO magnitude spectrum at ${size} px`, 'images', { from: 0, to: 0 });
      s = macoMagnitude(ctx.out, { digest: ds.digest, files }, size, said).then((r) => {
        hooks.log(`MACO magnitude spectrum at ${size} px: ${r.cached ? 'cached' : 'computed'} from ${r.images} dataset images`);
        return r;
      });
      bySize.set(size, s);
    }
    return s;
  };
}

export async function runFv(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const groups = new Map<string, PlannedJob[]>();
  for (const j of jobs) {
    const t = j.fv!;
    const key = JSON.stringify([t.layer, t.objective, t.recipe, t.settings]);
    groups.set(key, [...(groups.get(key) ?? []), j]);
  }
  const spectrum = spectrumOf(ctx, hooks);
  for (const group of groups.values()) {
    const t = group[0].fv!;
    const { settings } = t;
    const byUnit = new Map(group.map((j) => [j.fv!.unit, j]));
    const spec = settings.param === 'maco' ? await spectrum(settings.size) : null;
    hooks.start(group);
    await visualize({
      model: ctx.load,
      layer: t.layer,
      units: group.map((j) => j.fv!.unit),
      objective: t.objective,
      size: settings.size,
      steps: settings.steps,
      lr: settings.lr,
      seed: settings.seed,
      batch: settings.batch,
      schedule: settings.schedule,
      transforms: transformsOf(settings),
      optimizer: settings.optimizer,
      ...(settings.relu ? { objectiveOptions: { relu: true } } : {}),
      imageModel: ctx.imageModel,
      ...(spec && settings.maco ? { param: 'maco' as const, magnitude: spec.magnitude, crops: settings.maco, importance: settings.maco.importance } : {}),
      onProgress: (d, total) => hooks.progress(d, total, `fv ${t.layer} ${t.objective}${t.recipe === 'full' ? '' : ` (${t.recipe})`}`, 'steps'),
      onResult: async (results: UnitVisualization[]) => {
        for (const v of results) {
          const j = byUnit.get(v.unit)!;
          const files = fvFiles(j.fv!, ctx.spec);
          for (const [i, im] of v.images.entries()) {
            writeFileAtomic(path.join(ctx.out, files.images[i]), await encodePng(im.pixels, v.size, v.size));
            if (im.importance) writeFileAtomic(path.join(ctx.out, files.importance[i]), await encodeGrayPng(im.importance, v.size, v.size));
          }
          writeJsonAtomic(path.join(ctx.out, files.json), {
            schema: SCHEMA,
            objective: v.objective,
            images: v.images.map((im, i) => ({ file: files.images[i], activation: im.activation, ...(files.importance[i] ? { importance: files.importance[i] } : {}) })),
            activation: v.activation,
            curve: v.curve,
            recipe: t.recipe,
            settings: {
              size: v.size,
              steps: v.steps,
              lr: settings.lr,
              seed: v.seed,
              schedule: settings.schedule,
              transforms: settings.transforms,
              ...(settings.pad === undefined ? {} : { pad: settings.pad }),
              param: settings.param,
              optimizer: settings.optimizer,
              ...(settings.maco ? { maco: settings.maco } : {}),
              ...(settings.relu ? { relu: true } : {}),
            },
            provenance: provenance(
              ctx,
              'fv',
              j.job.hash,
              { ...settings, objective: v.objective, recipe: t.recipe, imageModel: v.imageModel, ...(spec ? { spectrum: { key: spec.key, images: spec.images } } : {}) },
              spec !== null,
            ),
          });
          // The record's time is this unit's share of its batch (the ETA of later runs adds them up).
          hooks.finish(j, (v.seconds * v.images.length) / v.batch);
        }
      },
    });
  }
}
