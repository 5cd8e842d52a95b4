// From the plan to jobs: each job's id, content hash inputs and output files. What goes into a hash
// decides what reruns, so every input a job's outputs depend on must be listed here.
import { type Job, makeJob, type Stage } from './jobs.ts';
import type { Plan } from './plan.ts';
import type { PlannedJob, StageContext } from './stages/context.ts';
import { fvFiles } from './stages/fv.ts';

export function matchesOnly(job: Job, only: { layer: string; unit?: number } | undefined): boolean {
  if (!only) return true;
  const [, layer, unit] = job.id.split(':');
  if (layer !== only.layer) return false;
  return only.unit === undefined || unit === undefined || Number(unit) === only.unit;
}

/**
 * `code`: each stage's code version. The engine (onnxruntime, onnxruntime-cuda or tfjs-<backend>: their
 * numbers agree to about 1e-5, not to the bit, so a CPU and a GPU result never share a hash) is in every job that runs the network: examples, fv, tuning, graphs ranked
 * by attribution, the model check. Circuits and weight-ranked graphs read the weights alone.
 */
export function planJobs(ctx: StageContext, plan: Plan, code: Record<Stage, string>): PlannedJob[] {
  const { spec, weights, dataset, config, engineName: engine } = ctx;
  const w = weights.sha256;
  const job = (stage: Stage, id: string, inputs: Record<string, unknown>, outputs: string[]) => makeJob(spec.id, stage, code[stage], id, inputs, outputs);
  const jobs: PlannedJob[] = [];
  for (const layer of plan.layers) {
    jobs.push({ layer, job: job('examples', `examples:${layer}`, { weights: w, engine, dataset: dataset?.digest, layer, top: config.examples.top }, [`${spec.id}/${layer}/examples.json`]) });
    jobs.push({ layer, job: job('circuits', `circuits:${layer}`, { weights: w, layer }, [`${spec.id}/${layer}/circuits.json`]) });
  }
  for (const c of plan.circuits) {
    const attribution = c.rank === 'attribution';
    jobs.push({
      layer: c.layer,
      unit: c.unit,
      circuit: c,
      job: job(
        'graph',
        `graph:${c.layer}:${c.unit}`,
        { weights: w, layer: c.layer, unit: c.unit, depth: c.depth, top: c.top, rank: c.rank, dataset: attribution ? dataset?.digest : undefined, engine: attribution ? engine : undefined },
        [`${spec.id}/${c.layer}/${c.unit}/graph.json`],
      ),
    });
  }
  for (const t of plan.fv) {
    const files = fvFiles(t, spec);
    // MACO's magnitude spectrum comes from the dataset (optvis/maco-spectrum.ts): its digest and size are inputs.
    const maco = t.settings.param === 'maco' ? { dataset: dataset?.digest, datasetImages: dataset?.images } : {};
    jobs.push({
      layer: t.layer,
      unit: t.unit,
      fv: t,
      job: job(
        'fv',
        `fv:${t.layer}:${t.unit}:${t.objective}${t.recipe === 'full' ? '' : `:${t.recipe}`}`,
        { weights: w, engine, imageModel: ctx.imageModel, layer: t.layer, unit: t.unit, objective: t.objective, recipe: t.recipe, settings: t.settings, ...maco },
        [files.json, ...files.images, ...files.importance],
      ),
    });
  }
  for (const t of plan.tuning) {
    jobs.push({
      layer: t.layer,
      unit: t.unit,
      tuning: t,
      job: job('tuning', `tuning:${t.layer}:${t.unit}:${t.stimulus}`, { weights: w, engine, layer: t.layer, unit: t.unit, stimulus: t.stimulus }, [`${spec.id}/${t.layer}/${t.unit}/tuning-${t.stimulus}.json`]),
    });
  }
  for (const p of plan.pose) {
    // The examples it turns are the dataset stage's (same dataset, top and engine): their inputs are its inputs.
    jobs.push({
      layer: p.layer,
      unit: p.unit,
      pose: p,
      job: job('pose', `pose:${p.layer}:${p.unit}`, { weights: w, engine, dataset: dataset?.digest, top: config.examples.top, layer: p.layer, unit: p.unit }, [
        `${spec.id}/${p.layer}/${p.unit}/pose.json`,
        `${spec.id}/${p.layer}/${p.unit}/where.webp`,
      ]),
    });
  }
  jobs.push({ layer: '', job: job('model', 'model', { weights: w, engine, dataset: dataset?.digest }, [`${spec.id}/model-check.json`, `${spec.id}/class-drivers.json`]) });
  return jobs;
}
