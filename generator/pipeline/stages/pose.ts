// The pose stage: a featured unit's top dataset examples turned and mirrored (atlas pose), after the
// dataset stage, whose examples (cached in the output folder) it reads; and where the unit fires in the
// first of those photos (heatmap.ts: one strip of maps, `where` in pose.json).
import path from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../fsutil.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

/** Photos per unit in the "where it fires" strip. */
const WHERE = 6;

export async function runPose(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const { datasetExampleSource } = await import('../../circuit/attribution.ts');
  const { poseInvariance } = await import('../../stimuli/pose.ts');
  const { whereItFires } = await import('../../heatmap.ts');
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
      // The whole photos, edge ones too: a map shows the padding's effect where a cut-out cannot.
      const where = await whereItFires(engine, ctx.spec, layer, unit, examples.slice(0, WHERE).map((e) => e.image));
      writeFileAtomic(path.join(ctx.out, j.job.outputs[1]), where.strip);
      // Image paths relative to the dataset root, as in examples.json: the output must not depend on where the dataset sits.
      const root = ctx.dataset?.dataset.root ?? '';
      const relative = (file: string) => path.relative(root, file).split(path.sep).join('/');
      const rel = {
        ...result,
        examples: result.examples.map((e) => ({ ...e, image: relative(e.image) })),
        where: { file: j.job.outputs[1], tile: where.tile, examples: where.examples.map((e) => ({ ...e, image: relative(e.image) })) },
      };
      writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...rel, provenance: provenance(ctx, 'pose', j.job.hash, {}, false) });
      hooks.finish(j, (performance.now() - t) / 1000);
    }
  } finally {
    engine.dispose();
  }
}
