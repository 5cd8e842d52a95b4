// Feature-visualization benchmark: milliseconds per unit-step at 128 px up to block3_conv4 (the Lucid
// recipe, whose transforms make the network's input 126-154 px), for onnxruntime and tfjs-wasm side by
// side, one unit and a batch of 8, with where a step's time goes, and peak RSS. Steady state: each engine
// first runs enough steps to have seen every input size.
import { availableParallelism } from 'node:os';
import type { Engine } from '../generator/model/engine.ts';
import { type EngineChoice, loadModel } from '../generator/model/load.ts';
import type { ImageModelChoice } from '../generator/optvis/image-model.ts';
import { render } from '../generator/optvis/render.ts';
import { visualize } from '../generator/optvis/visualize.ts';
import { benchOptvisLayers, pruningVariants } from './optvis-layers.ts';
import { peakRssMb, row } from './util.ts';

const LAYER = 'block3_conv4';
const STEPS = Number(process.env.BENCH_FV_STEPS ?? 64);
/** tfjs-wasm is 10x slower: fewer steps keep the bench short (its step time hardly varies). */
const TFJS_STEPS = Number(process.env.BENCH_FV_STEPS_TFJS ?? 8);
const TARGET_MS = 100;
const settings = { layer: LAYER, size: 128, lr: 0.05, seed: 0, objective: 'channel' as const };

async function measure(e: Engine, imageModel: ImageModelChoice, units: number[], steps: number): Promise<number> {
  const r = await render(e, { ...settings, steps, units, imageIndex: units.map(() => 0), imageModel });
  const perUnitStep = (r.seconds * 1000) / steps / units.length;
  const share = (v: number) => `${((v * 1000) / steps / units.length).toFixed(1)}`;
  const t = r.timings;
  row(`${e.name} (image side ${r.imageModel}): ${units.length === 1 ? '1 unit' : `batch of ${units.length}`}`, `${perUnitStep.toFixed(0)} ms/unit-step (${steps} steps; ${((perUnitStep * 512) / 1000).toFixed(0)} s per unit at 512 steps)`);
  row('  where it goes, ms/unit-step', `network ${share(t.network)}, image side ${share(t.image)}, its adjoint + Adam ${share(t.update)}, curve ${share(t.measure)}`);
  return perUnitStep;
}

export async function benchOptvis(): Promise<void> {
  await benchOptvisLayers(pruningVariants);
  if (process.env.BENCH_FV_ENGINES === '0') return;
  console.log(`\n# feature visualization (128 px, ${LAYER}, ms per unit-step; target <= ${TARGET_MS}; BENCH_FV_STEPS=${STEPS}, BENCH_FV_STEPS_TFJS=${TFJS_STEPS})`);
  const best: number[] = [];
  const runs: Array<[EngineChoice, ImageModelChoice, number, number]> = [
    ['onnxruntime', 'onnxruntime', STEPS, 48],
    ['tfjs', 'tfjs', TFJS_STEPS, 2],
  ];
  for (const [engine, imageModel, steps, warmup] of runs) {
    const { engine: e } = await loadModel({ backend: 'wasm', engine });
    await render(e, { ...settings, steps: warmup, units: [0], imageIndex: [0], imageModel });
    best.push(await measure(e, imageModel, [8], steps));
    best.push(await measure(e, imageModel, [0, 1, 2, 3, 4, 5, 6, 7], steps));
    e.dispose();
  }
  const cores = availableParallelism();
  const t = performance.now();
  await visualize({ ...settings, steps: TFJS_STEPS, model: { backend: 'wasm', engine: 'tfjs' }, units: [0, 1], batch: 1, workers: cores, imageModel: 'tfjs' });
  const wall = (performance.now() - t) / TFJS_STEPS / 2;
  row(`tfjs-wasm: 2 units over ${cores} workers (wall, incl. worker start)`, `${wall.toFixed(0)} ms/unit-step`);
  const fastest = Math.min(...best);
  row(`fastest vs the target of ${TARGET_MS} ms/unit-step`, `${fastest.toFixed(0)} ms: ${fastest <= TARGET_MS ? 'met' : 'NOT met'}`);
  row('peak RSS of this process', `${peakRssMb()} MB`);
}
