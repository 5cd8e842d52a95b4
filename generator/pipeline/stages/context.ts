// What every stage runner gets: the assembly context, how to load the engine, and helpers for the
// provenance each output carries. Kept apart from generate.ts so that a stage's module graph (its code
// version, see stage-versions.ts) holds the stage's own code, not the whole pipeline's.
import path from 'node:path';
import type { LoadOptions } from '../../model/load.ts';
import type { AssembleContext } from '../assemble.ts';
import type { Job } from '../jobs.ts';
import type { FvTask, Plan } from '../plan.ts';
import type { Provenance } from '../schema.ts';

/** What every stage needs: the assembly context without the plan, plus how to load the engine. */
export interface StageContext extends Omit<AssembleContext, 'plan' | 'backend'> {
  load: LoadOptions;
  /** Where feature visualization's image side runs (part of the fv jobs' identity). */
  imageModel: 'onnxruntime' | 'tfjs';
}

export interface PlannedJob {
  job: Job;
  layer: string;
  unit?: number;
  fv?: FvTask;
  tuning?: Plan['tuning'][number];
  pose?: Plan['pose'][number];
  circuit?: Plan['circuits'][number];
}

/** The part of the running jobs' work a phase covers, as fractions: from 0 (start) to 1 (all done). */
export interface Share {
  from: number;
  to: number;
}

/** How a runner reports: before work on jobs starts, inside it, and as each job's outputs are written. */
export interface StageHooks {
  start(jobs: PlannedJob[]): void;
  /** Records the job (last, after its outputs) and counts it. */
  finish(j: PlannedJob, seconds: number): void;
  /**
   * `done` of `total` (in `unit`: images, steps) of the jobs started last; `label` says what runs. A job of
   * several phases gives each its `share` of the jobs' work, so that their progress never runs backwards.
   */
  progress(done: number, total: number, label: string, unit: string, share?: Share): void;
  log(msg: string): void;
}

export function provenance(ctx: StageContext, stage: string, hash: string, settings: Record<string, unknown>, withDataset: boolean): Provenance {
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
