// The model stage: top-5 classes of a few dataset images and top-1 / top-5 accuracy over the dataset, when
// the weights have the classifier head; and what drives each class (class-drivers.ts), for the class pages.
import path from 'node:path';
import { classDrivers, classHead } from '../../circuit/class-drivers.ts';
import type { Connection } from '../../circuit/weights.ts';
import type { Dataset } from '../../dataset/source.ts';
import { writeJsonAtomic } from '../../fsutil.ts';
import { loadClassIndex } from '../../model/classes.ts';
import type { Engine } from '../../model/engine.ts';
import { datasetAccuracy } from '../../model/accuracy.ts';
import { classifierLayers, classifierMissing, classify } from '../../model/classify.ts';
import { loadImage } from '../../model/image.ts';
import { loadModel } from '../../model/load.ts';
import { SCHEMA } from '../schema-version.ts';
import { type PlannedJob, provenance, type StageContext, type StageHooks } from './context.ts';

export async function runModelCheck(ctx: StageContext, jobs: PlannedJob[], hooks: StageHooks): Promise<void> {
  const t = performance.now();
  const j = jobs[0];
  hooks.start([j]);
  let body: Record<string, unknown>;
  let drivers: Record<string, unknown> = { available: false, reason: 'No dataset configured: nothing to attribute.' };
  const missing = classifierMissing(ctx.spec, ctx.available);
  if (missing) {
    // `missing` and `weights` let the page say it in words; `reason` keeps the full message (CLI, JSON readers).
    body = {
      available: false,
      reason: `${missing.message} (weights: ${path.basename(ctx.weights.path)}). Hint: ${missing.hint}, then regenerate.`,
      weights: path.basename(ctx.weights.path),
      missing: classifierLayers(ctx.spec).filter((l) => !ctx.available.includes(l)),
    };
  } else if (!ctx.dataset) {
    body = { available: false, reason: 'No dataset configured: nothing to classify.' };
  } else {
    const { engine } = await loadModel(ctx.load);
    const sample = ctx.dataset.dataset.images.slice(0, 6);
    const images = await Promise.all(sample.map((im) => loadImage(im.file, ctx.spec.inputSize)));
    const preds = await classify(engine, images, 5);
    // The whole dataset (the configured part of it), for top-1 / top-5; misses name the images the page can show.
    const acc = await datasetAccuracy(engine, ctx.dataset.dataset, { onProgress: (done, total) => hooks.progress(done, total, 'model check', 'images', { from: 0, to: 0.5 }) });
    drivers = await driversOf(ctx, engine, ctx.dataset.dataset, hooks);
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
  if (missing) drivers = { available: false, reason: String(body.reason) };
  writeJsonAtomic(path.join(ctx.out, j.job.outputs[0]), { schema: SCHEMA, ...body, provenance: provenance(ctx, 'model', j.job.hash, {}, true) });
  writeJsonAtomic(path.join(ctx.out, j.job.outputs[1]), { schema: SCHEMA, ...drivers, provenance: provenance(ctx, 'model', j.job.hash, { top: 10 }, true) });
  hooks.finish(j, (performance.now() - t) / 1000);
}

/** Every class's drivers over the dataset's images of it, or why the head has none. */
async function driversOf(ctx: StageContext, engine: Engine, ds: Dataset, hooks: StageHooks): Promise<Record<string, unknown>> {
  const head = classHead(ctx.spec);
  if ('reason' in head) return { available: false, reason: head.reason };
  const index = loadClassIndex();
  const byWnid = new Map(index.map((c) => [c.wnid, c.index]));
  const images = ds.images.map((im) => ({ file: im.file, rel: im.rel, cls: byWnid.get(ds.classes[im.cls].id) ?? null }));
  const r = await classDrivers(engine, ctx.weights, images, { top: 10, onProgress: (done, total) => hooks.progress(done, total, 'class drivers', 'images', { from: 0.5, to: 1 }) });
  return {
    available: true,
    head: r.head.layer,
    source: r.head.step.source,
    gated: r.head.gated,
    images: r.images,
    dataset: path.basename(ctx.dataset!.root),
    check: r.check,
    classes: r.classes.map((c) => ({
      index: c.index,
      class: { wnid: index[c.index]?.wnid ?? '', label: index[c.index]?.label ?? `class ${c.index}` },
      weight: { excitatory: c.weight.excitatory.map(slim), inhibitory: c.weight.inhibitory.map(slim) },
      attribution: c.attribution && {
        excitatory: c.attribution.excitatory.map((x) => ({ ...slim(x), attribution: x.attribution })),
        inhibitory: c.attribution.inhibitory.map((x) => ({ ...slim(x), attribution: x.attribution })),
        images: c.attribution.images,
        logit: c.attribution.logit,
        bias: c.attribution.bias,
      },
    })),
  };
}

/** A connection as the class pages need it: which unit, and its weight (the kernel's sum; a 1x1 kernel's one number). */
const slim = (c: Connection) => ({ layer: c.layer, unit: c.unit, weight: c.sum });
