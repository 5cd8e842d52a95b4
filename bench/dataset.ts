// Dataset-examples benchmark: images per second of the pass up to block3_conv4 at 224 px (JPEG decode and
// resize included), for onnxruntime and tfjs-wasm side by side, with 1 worker and one per core; peak RSS
// (worker threads live in this process, so its max RSS includes every engine); and the wall time of the
// full pass (examples with crops) over $ATLAS_DATASET_DIR with the default engine.
import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { examplesForLayers } from '../generator/dataset/index.ts';
import { runPass } from '../generator/dataset/pass.ts';
import { openDataset } from '../generator/dataset/source.ts';
import { type EngineChoice, resolveEngine } from '../generator/model/load.ts';
import { layerShapes, vgg19 } from '../generator/model/spec.ts';
import { peakRssMb, row } from './util.ts';

const LAYER = 'block3_conv4';

/** Steady-state images/s: from the moment the first image is done (engines loaded, warm) to the last. */
async function rate(dir: string, images: number, workers: number, engine: EngineChoice): Promise<{ perSecond: number; startup: number }> {
  const ds = openDataset(dir, { limit: images });
  const [h, w, c] = layerShapes(vgg19).get(LAYER)!;
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  await runPass(ds, {
    model: { engine },
    inputSize: vgg19.inputSize,
    layers: [{ name: LAYER, units: c, grid: [h, w], signed: true }],
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

const TARGET = 7;

export async function benchDataset(): Promise<void> {
  const dir = process.env.ATLAS_DATASET_DIR;
  console.log(`\n# dataset pass (224 px up to ${LAYER}, decode included; images/s, target >= ${TARGET}; default engine here: ${await resolveEngine()})`);
  if (!dir) {
    console.log('  skipped: set ATLAS_DATASET_DIR (e.g. ../shared/datasets/imagenet-sample)');
    return;
  }
  const cores = availableParallelism();
  let best = 0;
  for (const engine of ['onnxruntime', 'tfjs'] as const) {
    const name = engine === 'tfjs' ? 'tfjs-wasm' : engine;
    for (const workers of [1, cores]) {
      const n = engine === 'tfjs' ? 8 * workers : 24 * workers;
      const r = await rate(dir, n, workers, engine);
      best = Math.max(best, r.perSecond);
      row(`${name}: ${workers} worker${workers > 1 ? 's' : ''} (${n} images)`, `${r.perSecond.toFixed(2)} images/s (startup ${r.startup.toFixed(1)} s)`);
    }
  }
  row(`fastest vs the target of ${TARGET} images/s`, `${best.toFixed(2)}: ${best >= TARGET ? 'met' : 'NOT met'}`);
  row('peak RSS so far (main + workers)', `${peakRssMb()} MB`);
  const out = mkdtempSync(path.join(tmpdir(), 'atlas-bench-'));
  const t0 = performance.now();
  const r = (await examplesForLayers({ dataset: dir, layers: [LAYER], out, workers: cores, quiet: true })).get(LAYER)!;
  const wall = (performance.now() - t0) / 1000;
  row(`full pass + crops, ${r.images} images, ${cores} workers, 256 units x 32 crops`, `${wall.toFixed(0)} s wall (${(r.images / wall).toFixed(2)} images/s overall)`);
  row('peak RSS so far (main + workers)', `${peakRssMb()} MB`);
  rmSync(out, { recursive: true, force: true });
}
