// The model check over a dataset: top-1 and top-5 accuracy of the classifier on every image whose class
// the class index knows (the 1000-image sample: one image per class). Images are decoded while the
// previous batch runs, so the network never waits for sharp.
import type { Dataset } from '../dataset/source.ts';
import { AtlasError } from '../errors.ts';
import { loadClassIndex } from './classes.ts';
import { classify } from './classify.ts';
import type { Engine } from './engine.ts';
import { loadImage } from './image.ts';

export interface Accuracy {
  /** Images scored (their class is one of the classifier's). */
  images: number;
  /** Images left out: their class is not in the class index. */
  unscored: number;
  top1: number;
  top5: number;
  /** Every scored image: its class index and the rank of the true class (1..5, or 0 when not in the top 5). */
  ranks: Array<{ image: string; class: number; rank: number }>;
}

export async function datasetAccuracy(engine: Engine, ds: Dataset, opts: { batch?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<Accuracy> {
  const classes = loadClassIndex();
  const byWnid = new Map(classes.map((c) => [c.wnid, c.index]));
  const scored = ds.images.filter((im) => byWnid.has(ds.classes[im.cls].id));
  if (scored.length === 0) throw new AtlasError(`dataset ${ds.root} has no image of a class the classifier knows`, 'name class folders by WNID (n01440764) or by the class index label');
  const batch = opts.batch ?? 16;
  const size = engine.spec.inputSize;
  const ranks: Accuracy['ranks'] = [];
  const decode = (i: number) => Promise.all(scored.slice(i, i + batch).map((im) => loadImage(im.file, size)));
  let next = decode(0);
  for (let i = 0; i < scored.length; i += batch) {
    const images = await next;
    if (i + batch < scored.length) next = decode(i + batch);
    const preds = await classify(engine, images, 5, classes);
    preds.forEach((top, j) => {
      const im = scored[i + j];
      const truth = byWnid.get(ds.classes[im.cls].id)!;
      ranks.push({ image: im.rel, class: truth, rank: top.findIndex((p) => p.index === truth) + 1 });
    });
    opts.onProgress?.(Math.min(i + batch, scored.length), scored.length);
  }
  return {
    images: scored.length,
    unscored: ds.images.length - scored.length,
    top1: ranks.filter((r) => r.rank === 1).length / ranks.length,
    top5: ranks.filter((r) => r.rank >= 1).length / ranks.length,
    ranks,
  };
}
