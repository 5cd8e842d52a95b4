// What int8 would do to the grid recipe's images (npm run bench -- int8 with BENCH_INT8_RENDER=1): the grid
// bench's 24 units rendered at the grid recipe on the onnxruntime engine (fp32) and on Int8Engine (its
// gradients from the int8 graph), in the same batches of 4, one after the other; the activations measured in
// fp32 on both final images. Prints, per unit, the objective each reaches against the full recipe and the
// dataset max (the grid bench's criteria, its cached full renders and examples), the render times, and writes
// a contact sheet (fp32 | int8, one row per unit) to bench-out/grid/contact-int8.png.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { examplesForLayers } from '../generator/dataset/index.ts';
import { kerasGraphs } from '../generator/model/graph-net.ts';
import { encodePng } from '../generator/model/image.ts';
import { loadModel } from '../generator/model/load.ts';
import { loadOrt } from '../generator/model/ort.ts';
import { FULL_RECIPE, GRID_RECIPE, transformsOf } from '../generator/optvis/recipes.ts';
import { render, type RenderResult } from '../generator/optvis/render.ts';
import { contactSheet, EXAMPLES_OUT, GRID_BENCH_UNITS, OUT, renderAll } from './grid.ts';
import { Int8Engine } from './int8-engine.ts';

export async function benchInt8Render(): Promise<void> {
  console.log('\n# the grid recipe with int8 gradients (Int8Engine) against fp32, the grid bench\'s 24 units');
  const layers = Object.keys(GRID_BENCH_UNITS);
  const ex = await examplesForLayers({ layers, top: 4, out: EXAMPLES_OUT, quiet: true });
  const full = new Map(await Promise.all(layers.map(async (l) => [l, await renderAll('full', FULL_RECIPE, l, GRID_BENCH_UNITS[l])] as const)));
  const { spec, weights, engine } = await loadModel({ backend: 'wasm', engine: 'onnxruntime' });
  const int8 = new Int8Engine(engine, kerasGraphs(spec, weights), await loadOrt(), availableParallelism());
  const dir = path.join(OUT, 'int8');
  mkdirSync(dir, { recursive: true });
  console.log('  mean = pre-ReLU channel mean (the objective), max = post-ReLU max over positions; s = seconds per batch of 4 (fp32 / int8)');
  console.log(`  ${'unit'.padEnd(18)} ${'dataset max'.padStart(11)} ${'full mean'.padStart(10)} ${'fp32 mean'.padStart(10)} ${'int8 mean'.padStart(10)} ${'int8/fp32'.padStart(9)} ${'int8/full'.padStart(9)} ${'int8 max/ds'.padStart(11)}`);
  const rows: Array<{ full: string; grid: string }> = [];
  const ratios: number[] = [];
  const pass = [0, 0];
  let [tf, tq] = [0, 0];
  for (const layer of layers) {
    const units = GRID_BENCH_UNITS[layer];
    for (let i = 0; i < units.length; i += 4) {
      const batch = units.slice(i, i + 4);
      const req = { layer, objective: 'channel' as const, units: batch, imageIndex: batch.map(() => 0), size: GRID_RECIPE.size, steps: GRID_RECIPE.steps, lr: GRID_RECIPE.lr, schedule: GRID_RECIPE.schedule, transforms: transformsOf(GRID_RECIPE), seed: 0 };
      const results: RenderResult[] = [await render(engine, req), await render(int8, req)];
      // The first batch of a layer builds its sessions (one per input size, both engines): not a steady time.
      if (i > 0) [tf, tq] = [tf + results[0].seconds, tq + results[1].seconds];
      console.log(`  ${layer} units ${batch.join(', ')}: ${results[0].seconds.toFixed(2)} / ${results[1].seconds.toFixed(2)} s${i === 0 ? ' (sessions built)' : ''}`);
      for (const [k, unit] of batch.entries()) {
        const [a, b] = results.map((r) => r.images[k]);
        const pngs = await Promise.all([a, b].map(async (im, j) => {
          const file = path.join(dir, `${layer}_${unit}_${j ? 'int8' : 'fp32'}.png`);
          writeFileSync(file, await encodePng(im.pixels, GRID_RECIPE.size, GRID_RECIPE.size));
          return file;
        }));
        rows.push({ full: pngs[0], grid: pngs[1] });
        const f = full.get(layer)!.find((x) => x.unit === unit)!;
        const ds = ex.get(layer)!.units[unit].top[0]?.activation ?? 0;
        const [okF, ok] = [a, b].map((im) => im.activation.pre.mean >= 0.8 * f.mean && im.activation.max >= ds);
        pass[0] += okF ? 1 : 0;
        pass[1] += ok ? 1 : 0;
        ratios.push(b.activation.pre.mean / a.activation.pre.mean);
        console.log(
          `  ${`${layer}:${unit}`.padEnd(18)} ${ds.toFixed(0).padStart(11)} ${f.mean.toFixed(0).padStart(10)} ${a.activation.pre.mean.toFixed(0).padStart(10)} ${b.activation.pre.mean.toFixed(0).padStart(10)} ${ratios.at(-1)!.toFixed(2).padStart(9)} ${(b.activation.pre.mean / f.mean).toFixed(2).padStart(9)} ${(b.activation.max / ds).toFixed(2).padStart(11)}${ok ? '' : '  FAIL'}${okF ? '' : ' (fp32 FAIL)'}`,
        );
      }
    }
  }
  int8.dispose();
  const sheet = path.join(OUT, 'contact-int8.png');
  await contactSheet(sheet, rows);
  ratios.sort((x, y) => x - y);
  console.log(`  the grid criteria (>= 0.8x the full recipe's objective, max >= the dataset max): fp32 ${pass[0]}/${rows.length}, int8 ${pass[1]}/${rows.length} units; int8/fp32 objective ${ratios[0].toFixed(2)}-${ratios.at(-1)!.toFixed(2)} (median ${ratios[ratios.length >> 1].toFixed(2)}); steady batches ${tf.toFixed(1)} s fp32 against ${tq.toFixed(1)} s int8 (${(tf / tq).toFixed(2)}x); contact sheet ${sheet} (fp32 | int8)`);
}
