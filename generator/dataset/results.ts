// Turns a layer's merged accumulator into the public per-unit records (examples.json).
import type { LayerPartial } from './accumulate.ts';
import { histogramOf } from './accumulate.ts';
import type { Dataset } from './source.ts';
import type { ClassSummary, Example, LayerExamples, Skipped } from './types.ts';

/** How many classes a unit's record lists, by mean. */
export const TOP_CLASSES = 10;

export type ExampleKind = 'top' | 'bottom' | 'negative';

/**
 * Crop file of an example, relative to the output folder: one per (layer, image, position), shared by every
 * unit whose example it is (<model>/<layer>/crops/<x>-<y>/<image path>.webp). A layer whose units see the
 * whole image (a classifier's logits: one position) then has one crop per image, not one per unit and rank.
 */
export function cropPath(model: string, layer: string, image: string, x: number, y: number): string {
  return `${model}/${layer}/crops/${x}-${y}/${image.replace(/\.[^./]+$/, '')}.webp`;
}

export function layerExamples(p: LayerPartial, ds: Dataset, model: string, skipped: Skipped[]): LayerExamples {
  const width = p.grid[1];
  const k = p.top.k;
  const units = [];
  for (let u = 0; u < p.units; u++) {
    const examples = (kind: ExampleKind): Example[] => {
      const r = p[kind];
      return Array.from({ length: r.size[u] }, (_, i) => {
        const j = u * r.k + i;
        const im = ds.images[r.image[j]];
        const cls = ds.classes[im.cls];
        const [x, y] = [r.pos[j] % width, Math.floor(r.pos[j] / width)];
        return { image: im.rel, class: cls.id, label: cls.label, activation: r.value[j], x, y, crop: cropPath(model, p.layer, im.rel, x, y) };
      });
    };
    const classes: ClassSummary[] = [...p.classes.entries()]
      .map(([c, row]) => ({ wnid: ds.classes[c].id, label: ds.classes[c].label, mean: row.sum[u] / row.count, max: row.max[u], images: row.count }))
      .sort((a, b) => b.mean - a.mean || (a.wnid < b.wnid ? -1 : a.wnid > b.wnid ? 1 : 0))
      .slice(0, TOP_CLASSES);
    units.push({
      layer: p.layer,
      unit: u,
      top: examples('top'),
      bottom: examples('bottom'),
      negative: examples('negative'),
      classes,
      histogram: histogramOf(p, u),
      firing_rate: p.images ? p.firing[u] / p.images : 0,
      position_rate: p.images ? p.coverage[u] / p.images : 0,
      silent: p.images - p.firing[u],
      images: p.images,
      skipped,
    });
  }
  return { layer: p.layer, images: p.images, skipped, units };
}
