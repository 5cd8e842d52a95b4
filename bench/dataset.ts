// Dataset-examples benchmark: images per second of the pass up to block3_conv4 with 1 worker and with one
// per core, peak RSS (worker threads live in this process, so its max RSS includes every engine), and the
// wall time of the full pass (examples with crops) over $ATLAS_DATASET_DIR, with the default engine.
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { examplesForLayers } from '../generator/dataset/index.ts';
import { runPass } from '../generator/dataset/pass.ts';
import { openDataset } from '../generator/dataset/source.ts';
import { resolveEngine } from '../generator/model/load.ts';
import { layerShapes, vgg19 } from '../generator/model/spec.ts';
import { peakRssMb, row } from './util.ts';

const LAYER = 'block3_conv4';

/** Steady-state images/s: from the moment the first image is done (engines loaded, warm) to the last. */
async function rate(dir: string, images: number, workers: number): Promise<{ perSecond: number; startup: number }> {
  const ds = openDataset(dir, { limit: images });
  const [h, w, c] = layerShapes(vgg19).get(LAYER)!;
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  await runPass(ds, {
    model: {},
    inputSize: vgg19.inputSize,
    layers: [{ name: LAYER, units: c, grid: [h, w] }],
    k: 16,
    workers,
    quiet: true,
    onImage: (n) => {
      if (n === 1) first = performance.now();
      last = performance.now();
    },
  });
  return { perSecond: ((ds.images.length - 1) * 1000) / (last - first), startup: (first - t0) / 1000 };
}

export async function benchDataset(): Promise<void> {
  const dir = process.env.ATLAS_DATASET_DIR;
  console.log(`\n# dataset (pass up to ${LAYER}, engine ${await resolveEngine()}; ATLAS_ENGINE=tfjs for the other)`);
  if (!dir) {
    console.log('  skipped: set ATLAS_DATASET_DIR (e.g. ../shared/datasets/imagenet-sample)');
    return;
  }
  const cores = availableParallelism();
  const one = await rate(dir, 16, 1);
  row('pass, 1 worker (16 images)', `${one.perSecond.toFixed(2)} images/s (startup ${one.startup.toFixed(1)} s)`);
  row('peak RSS so far (main + workers)', `${peakRssMb()} MB`);
  const all = await rate(dir, 16 * cores, cores);
  row(`pass, ${cores} workers (${16 * cores} images)`, `${all.perSecond.toFixed(2)} images/s (startup ${all.startup.toFixed(1)} s, ${(all.perSecond / one.perSecond).toFixed(2)}x)`);
  row('peak RSS so far (main + workers)', `${peakRssMb()} MB`);
  const out = mkdtempSync(path.join(tmpdir(), 'atlas-bench-'));
  const t0 = performance.now();
  const r = (await examplesForLayers({ dataset: dir, layers: [LAYER], out, workers: cores, quiet: true })).get(LAYER)!;
  const wall = (performance.now() - t0) / 1000;
  row(`full pass + crops, ${r.images} images, ${cores} workers, 256 units x 32 crops`, `${wall.toFixed(0)} s wall (${(r.images / wall).toFixed(2)} images/s overall)`);
  row('peak RSS so far (main + workers)', `${peakRssMb()} MB`);
  rmSync(out, { recursive: true, force: true });
}
