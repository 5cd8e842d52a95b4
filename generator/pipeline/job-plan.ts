// From the plan to jobs: each job's id, content hash inputs and output files. What goes into a hash
// decides what reruns, so every input a job's outputs depend on must be listed here.
import { type Job, makeJob } from './jobs.ts';
import type { Plan } from './plan.ts';
import { fvFiles, type PlannedJob, type StageContext } from './stages/context.ts';

export function matchesOnly(job: Job, only: { layer: string; unit?: number } | undefined): boolean {
  if (!only) return true;
  const [, layer, unit] = job.id.split(':');
  if (layer !== only.layer) return false;
  return only.unit === undefined || unit === undefined || Number(unit) === only.unit;
}

export function planJobs(ctx: StageContext, plan: Plan): PlannedJob[] {
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
