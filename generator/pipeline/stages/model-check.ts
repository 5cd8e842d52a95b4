// The model stage: top-5 classes of a few dataset images, when the weights have the classifier head.
import path from 'node:path';
import { writeJsonAtomic } from '../../fsutil.ts';
import { classify } from '../../model/classify.ts';
import { loadImage } from '../../model/image.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runModelCheck(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const t = performance.now();
  const j = jobs[0];
  hooks.start([j]);
  let body: Record<string, unknown>;
  if (!ctx.available.includes('predictions')) {
    const missing = ctx.spec.layers.map((l) => l.name).filter((n) => !ctx.available.includes(n));
    body = {
      available: false,
      reason: `The weights (${path.basename(ctx.weights.path)}) hold only ${ctx.available.filter((l) => !l.includes('pool')).join(', ')}; classification needs ${missing.join(', ')}. Get the full Keras file with \`npm run fetch-model\` and regenerate.`,
    };
  } else if (!ctx.dataset) {
    body = { available: false, reason: 'No dataset configured: nothing to classify.' };
  } else {
    const { engine } = await loadModel(ctx.load);
    const sample = ctx.dataset.dataset.images.slice(0, 6);
    const images = await Promise.all(sample.map((im) => loadImage(im.file, ctx.spec.inputSize)));
    const preds = await classify(engine, images, 5);
    engine.dispose();
    body = { available: true, results: sample.map((im, i) => ({ image: im.rel, full: '', top: preds[i].map((p) => ({ wnid: p.wnid, label: p.label, probability: p.probability })) })) };
  }
  writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...body, provenance: provenance(ctx, 'model', j.job.hash, {}, true) });
  hooks.finish(j, (performance.now() - t) / 1000);
}
