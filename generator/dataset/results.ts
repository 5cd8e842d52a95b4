// Turns a layer's merged accumulator into the public per-unit records (examples.json).
import type { LayerPartial } from './accumulate.ts';
import { histogramOf } from './accumulate.ts';
import type { Dataset } from './source.ts';
import type { ClassSummary, Example, LayerExamples, Skipped } from './types.ts';

/** How many classes a unit's record lists, by mean. */
export const TOP_CLASSES = 10;

export type ExampleKind = 'top' | 'bottom' | 'negative';

/** Crop file of example i, relative to the output folder: <model>/<layer>/<unit>/examples/top-00.webp. */
export function cropPath(model: string, layer: string, unit: number, kind: ExampleKind, i: number, k: number): string {
  const digits = Math.max(2, String(k - 1).length);
  return `${model}/${layer}/${unit}/examples/${kind}-${String(i).padStart(digits, '0')}.webp`;
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
        return {
          image: im.rel,
          class: cls.id,
          label: cls.label,
          activation: r.value[j],
          x: r.pos[j] % width,
          y: Math.floor(r.pos[j] / width),
          crop: cropPath(model, p.layer, u, kind, i, k),
        };
      });
    };
    const classes: ClassSummary[] = [...p.classes.entries()]
      .map(([c, row]) => ({ wnid: ds.classes[c].id, label: ds.classes[c].label, mean: row.sum[u] / row.count, max: row.max[u] }))
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
      silent: p.images - p.firing[u],
      images: p.images,
      skipped,
    });
  }
  return { layer: p.layer, images: p.images, skipped, units };
}
