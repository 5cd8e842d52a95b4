// The pose stage: a featured unit's top dataset examples turned and mirrored (atlas pose), after the
// dataset stage, whose examples (cached in the output folder) it reads.
import path from 'node:path';
import { writeJsonAtomic } from '../../fsutil.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runPose(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const { datasetExampleSource } = await import('../../circuit/attribution.ts');
  const { poseInvariance } = await import('../../stimuli/pose.ts');
  const source = datasetExampleSource({
    dataset: ctx.config.dataset,
    out: ctx.out,
    model: ctx.load,
    limit: ctx.config.datasetLimit,
    top: ctx.config.examples.top,
    quiet: true,
    purpose: { what: 'pose (featured units with pose: true)' },
  });
  const { engine } = await loadModel(ctx.load);
  try {
    for (const j of jobs) {
      hooks.start([j]);
      const t = performance.now();
      const { layer, unit } = j.pose!;
      const examples = await source(layer, unit);
      const result = await poseInvariance(engine, ctx.spec, { layer, unit, examples, onProgress: (d, n) => hooks.progress(d, n, `pose ${layer}:${unit}`, 'canvases') });
      // Image paths relative to the dataset root, as in examples.json: the output must not depend on where the dataset sits.
      const root = ctx.dataset?.dataset.root ?? '';
      const rel = { ...result, examples: result.examples.map((e) => ({ ...e, image: path.relative(root, e.image).split(path.sep).join('/') })) };
      writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...rel, provenance: provenance(ctx, 'pose', j.job.hash, {}, false) });
      hooks.finish(j, (performance.now() - t) / 1000);
    }
  } finally {
    engine.dispose();
  }
}
