// The feature-visualization stage: jobs batched by identical settings; each batch is saved as soon as
// it is done, so an interrupted run keeps every finished batch.
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../fsutil.ts';
import { encodePng } from '../../model/image.ts';
import type { ModelSpec } from '../../model/spec.ts';
import { DIVERSITY_GROUP } from '../../optvis/objectives.ts';
import { transformsOf } from '../../optvis/recipes.ts';
import { visualize, type UnitVisualization } from '../../optvis/visualize.ts';
import type { FvTask } from '../plan.ts';
import { SCHEMA } from '../schema.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

/** The files of one feature visualization: its JSON and its PNG(s); `fv-` for the full recipe, `grid-` for the grid's. */
export function fvFiles(t: Pick<FvTask, 'layer' | 'unit' | 'objective' | 'recipe'>, spec: ModelSpec): { json: string; images: string[] } {
  const dir = `${spec.id}/${t.layer}/${t.unit}`;
  const n = t.objective === 'diversity' ? DIVERSITY_GROUP : 1;
  const base = `${dir}/${t.recipe === 'grid' ? 'grid' : 'fv'}-${t.objective}`;
  return {
    json: `${base}.json`,
    images: Array.from({ length: n }, (_, i) => `${base}${n > 1 ? `-${i}` : ''}.png`),
  };
}

export async function runFv(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const groups = new Map<string, PlannedJob[]>();
  for (const j of jobs) {
    const t = j.fv!;
    const key = JSON.stringify([t.layer, t.objective, t.recipe, t.settings]);
    groups.set(key, [...(groups.get(key) ?? []), j]);
  }
  for (const group of groups.values()) {
    const t = group[0].fv!;
    const byUnit = new Map(group.map((j) => [j.fv!.unit, j]));
    hooks.start(group);
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
      schedule: t.settings.schedule,
      transforms: transformsOf(t.settings),
      imageModel: ctx.imageModel,
      onProgress: (d, total) => hooks.progress(d, total, `fv ${t.layer} ${t.objective}${t.recipe === 'grid' ? ' (grid)' : ''}`, 'steps'),
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
            recipe: t.recipe,
            settings: { size: v.size, steps: v.steps, lr: t.settings.lr, seed: v.seed, schedule: t.settings.schedule, transforms: t.settings.transforms },
            provenance: provenance(ctx, 'fv', j.job.hash, { ...j.fv!.settings, objective: v.objective, recipe: t.recipe, imageModel: ctx.imageModel }, false),
          });
          // The record's time is this unit's share of its batch (the ETA of later runs adds them up).
          hooks.finish(j, (v.seconds * v.images.length) / v.batch);
        }
      },
    });
  }
}
