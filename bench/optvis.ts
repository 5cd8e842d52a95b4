// Feature-visualization benchmark: optimization steps per second at 128 px up to block3_conv4, per
// engine, for one unit and a batch of 8, in one process and over one worker per core (tfjs-wasm), with
// where a step's time goes, and peak RSS.
import { availableParallelism } from 'node:os';
import { type EngineChoice, loadModel } from '../generator/model/load.ts';
import { render } from '../generator/optvis/render.ts';
import { visualize } from '../generator/optvis/visualize.ts';
import { peakRssMb, row } from './util.ts';

const LAYER = 'block3_conv4';
const STEPS = Number(process.env.BENCH_FV_STEPS ?? 24);
const settings = { layer: LAYER, size: 128, steps: STEPS, lr: 0.05, seed: 0, objective: 'channel' as const };

async function inProcess(engine: EngineChoice, units: number[]): Promise<void> {
  const { engine: e } = await loadModel({ backend: 'wasm', engine });
  await render(e, { ...settings, steps: 2, units: [0], imageIndex: [0] }); // warm up sessions and kernels
  const r = await render(e, { ...settings, units, imageIndex: units.map(() => 0) });
  const perStep = (r.seconds * 1000) / STEPS;
  const t = r.timings;
  const pct = (v: number) => `${Math.round((100 * v) / r.seconds)}%`;
  row(`${e.name}: ${units.length} unit(s), 1 process`, `${perStep.toFixed(0)} ms/step = ${(perStep / units.length).toFixed(0)} ms/unit-step; ${(1000 / perStep).toFixed(2)} steps/s`);
  row(`  where it goes`, `network ${pct(t.network)}, image side fwd ${pct(t.image)}, image side bwd + Adam ${pct(t.update)}, curve ${pct(t.measure)}`);
  row(`  => one unit x 512 steps`, `${((perStep / units.length) * 512 / 1000).toFixed(0)} s of this process's time`);
  e.dispose();
}

async function pooled(units: number[], workers: number): Promise<void> {
  const t = performance.now();
  await visualize({ ...settings, model: { backend: 'wasm', engine: 'tfjs' }, units, batch: 1, workers });
  const s = (performance.now() - t) / 1000;
  row(`tfjs-wasm: ${units.length} units, ${workers} workers (incl. worker start)`, `${((s * 1000) / STEPS / units.length).toFixed(0)} ms/unit-step wall`);
}

export async function benchOptvis(): Promise<void> {
  console.log(`\n# feature visualization (128 px, ${LAYER}, ${STEPS} steps per run; BENCH_FV_STEPS to change)`);
  const cores = availableParallelism();
  for (const engine of ['onnxruntime', 'tfjs'] as const) {
    await inProcess(engine, [8]);
    await inProcess(engine, [0, 1, 2, 3, 4, 5, 6, 7]);
  }
  await pooled([0, 1], cores);
  row('peak RSS of this process', `${peakRssMb()} MB`);
}
