// The tuning stage: synthetic-stimulus tuning curves (atlas tune) of featured units.
import path from 'node:path';
import { writeJsonAtomic } from '../../fsutil.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runTuning(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const { tuneUnit } = await import('../../stimuli/tuning.ts');
  const { engine } = await loadModel(ctx.load);
  try {
    for (const j of jobs) {
      hooks.start([j]);
      const t = performance.now();
      const { layer, unit, stimulus } = j.tuning!;
      const result = await tuneUnit(engine, ctx.spec, { layer, unit, stimulus, onProgress: (d, n) => hooks.progress(d, n, `tune ${layer}:${unit} ${stimulus}`, 'stimuli') });
      writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...result, provenance: provenance(ctx, 'tuning', j.job.hash, { stimulus }, false) });
      hooks.finish(j, (performance.now() - t) / 1000);
    }
  } finally {
    engine.dispose();
  }
}
