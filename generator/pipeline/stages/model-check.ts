// The model stage: top-5 classes of a few dataset images and top-1 / top-5 accuracy over the dataset, when
// the weights have the classifier head.
import path from 'node:path';
import { writeJsonAtomic } from '../../fsutil.ts';
import { datasetAccuracy } from '../../model/accuracy.ts';
import { classifierMissing, classify } from '../../model/classify.ts';
import { loadImage } from '../../model/image.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runModelCheck(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const t = performance.now();
  const j = jobs[0];
  hooks.start([j]);
  let body: Record<string, unknown>;
  const missing = classifierMissing(ctx.spec, ctx.available);
  if (missing) {
    body = { available: false, reason: `${missing.message} (weights: ${path.basename(ctx.weights.path)}). Hint: ${missing.hint}, then regenerate.` };
  } else if (!ctx.dataset) {
    body = { available: false, reason: 'No dataset configured: nothing to classify.' };
  } else {
    const { engine } = await loadModel(ctx.load);
    const sample = ctx.dataset.dataset.images.slice(0, 6);
    const images = await Promise.all(sample.map((im) => loadImage(im.file, ctx.spec.inputSize)));
    const preds = await classify(engine, images, 5);
    // The whole dataset (the configured part of it), for top-1 / top-5; misses name the images the page can show.
    const acc = await datasetAccuracy(engine, ctx.dataset.dataset, { onProgress: (done, total) => hooks.progress(done, total, 'model check', 'images') });
    engine.dispose();
    const accuracy = {
      dataset: path.basename(ctx.dataset.root),
      digest: ctx.dataset.digest,
      images: acc.images,
      unscored: acc.unscored,
      top1: acc.top1,
      top5: acc.top5,
      misses: acc.ranks.filter((r) => r.rank !== 1).map((r) => ({ image: r.image, rank: r.rank })),
    };
    body = { available: true, results: sample.map((im, i) => ({ image: im.rel, full: '', top: preds[i].map((p) => ({ wnid: p.wnid, label: p.label, probability: p.probability })) })), accuracy };
  }
  writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...body, provenance: provenance(ctx, 'model', j.job.hash, {}, true) });
  hooks.finish(j, (performance.now() - t) / 1000);
}
