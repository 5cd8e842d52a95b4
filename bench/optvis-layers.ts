// Per-layer feature-visualization bench: for every conv layer the weights hold, ms per unit-step at
// 128 px with Lucid's transforms (render's own loop), one unit and a batch, the network's share of the
// step, the FLOPs of that share counted from the gradient graph (flops.ts) and the share of the machine's
// arithmetic peak (peak.ts) it reaches. With Debian's python3-torch installed, the same forward + backward
// in PyTorch (peer_torch.py) beside it.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Engine } from '../generator/model/engine.ts';
import { loadModel, locateWeights } from '../generator/model/load.ts';
import { kerasGraphs } from '../generator/model/graph-net.ts';
import { loadOrt, ortSessionOptions } from '../generator/model/ort.ts';
import { availableParallelism } from 'node:os';
import { inputWindow } from '../generator/model/input-window.ts';
import { layerShapes, type ModelSpec } from '../generator/model/spec.ts';
import { render } from '../generator/optvis/render.ts';
import { warpSides } from '../generator/optvis/parts.ts';
import { GRID_RECIPE, transformsOf } from '../generator/optvis/recipes.ts';
import { scaledTransforms } from '../generator/optvis/transform.ts';
import type { LayerWeights } from '../generator/model/keras-h5.ts';
import { convFlops } from './flops.ts';
import { Int8Engine } from './int8-engine.ts';
import { machinePeak } from './peak.ts';

/** 128 px = the full recipe (Lucid's transforms: scaledTransforms(128) is them); the grid's 64 px its transforms (pad 4); another size scales Lucid's. */
const SIZE = Number(process.env.BENCH_LAYER_SIZE ?? 128);
const TRANSFORMS = SIZE === GRID_RECIPE.size ? transformsOf(GRID_RECIPE) : scaledTransforms(SIZE);
const SEED = 0;
const STEPS = Number(process.env.BENCH_LAYER_STEPS ?? 8);
const ROUNDS = Number(process.env.BENCH_LAYER_ROUNDS ?? 3);
/** channel (default) or neuron (one position: the engine runs it on its input window, input-window.ts). */
const OBJECTIVE = (process.env.BENCH_LAYER_OBJECTIVE ?? 'channel') as 'channel' | 'neuron';
/**
 * Whether the objective reads the post-ReLU activation: the recipe's own by default (the grid recipe's 64 px:
 * post-ReLU, as the layer atlases run it; 128 px: Lucid's pre-ReLU). BENCH_LAYER_RELU=1 or 0 forces it.
 */
const RELU = process.env.BENCH_LAYER_RELU === undefined ? SIZE === GRID_RECIPE.size && !!GRID_RECIPE.relu : process.env.BENCH_LAYER_RELU === '1';
/** Batch sizes besides 1 (a list: BENCH_LAYER_BATCH=4,16). */
const BATCHES = (process.env.BENCH_LAYER_BATCH ?? '4').split(',').map(Number);
/** Debian's python3-torch lives in the system python, which a pyenv or venv python3 may shadow. */
const PYTHON = process.env.BENCH_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/** A way of running the network to compare ("before" / "after"). */
export interface Variant {
  name: string;
  engine: Engine;
  /** The gradient graph the variant runs for `units` of `layer` at this network input side (for its FLOPs), and its own input side (a window's). */
  graph: (layer: string, units: number[], side: number) => { bytes: Uint8Array; side: number };
}

interface Cell {
  total: number;
  network: number;
  gflops: number;
  /** Timed steps on which a silent view took the pre-ReLU gradient (in the same network run; post-ReLU only). */
  redirected: number;
}

/** The network input sides render's first `steps` steps see (the transforms are drawn from the seed alone). */
export function stepSides(steps: number, seed = SEED): number[] {
  return warpSides(SIZE, TRANSFORMS, seed, steps);
}

/**
 * Each variant's best of ROUNDS timed renders, the variants interleaved (the other processes on a shared
 * machine slow some rounds down; the best round is the closest to the machine's own speed).
 */
async function measure(vs: Variant[], spec: ModelSpec, layer: string, units: number[], sides: number[]): Promise<Cell[]> {
  const settings = { layer, size: SIZE, transforms: TRANSFORMS, lr: SIZE === GRID_RECIPE.size ? GRID_RECIPE.lr : 0.05, seed: SEED, objective: OBJECTIVE, objectiveOptions: { relu: RELU }, units, imageIndex: units.map(() => 0), steps: STEPS };
  const n = units.length;
  // Warm-up over the same steps: every input size has been seen (and planned) before the timed runs.
  for (const v of vs) await render(v.engine, settings);
  const best = vs.map(() => ({ total: Infinity, network: Infinity, redirected: 0 }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, v] of vs.entries()) {
      const res = await render(v.engine, settings);
      best[i].total = Math.min(best[i].total, res.seconds);
      best[i].network = Math.min(best[i].network, res.timings.network);
      best[i].redirected = res.redirected;
    }
  }
  return vs.map((v, i) => {
    const flops = sides.reduce((s, side) => {
      const g = v.graph(layer, units, side);
      return s + convFlops(g.bytes, spec, g.side, n);
    }, 0);
    return { total: (best[i].total * 1000) / STEPS / n, network: (best[i].network * 1000) / STEPS / n, gflops: flops / best[i].network / 1e9, redirected: best[i].redirected };
  });
}

/**
 * glibc malloc settings for the peer: PyTorch's CPU allocator hands every freed activation back to malloc, and
 * glibc's default returns large blocks to the kernel, so each step page-faults its tensors in again, and its
 * adaptive threshold makes that differ from process to process. Keeping freed memory (as jemalloc or tcmalloc
 * would) made PyTorch's step 1.2-2x faster and steady on the Zen 5 machine (2026-12-06): the peer at its best.
 * The environment overrides them.
 */
const TORCH_MALLOC = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(16 * 2 ** 30), MALLOC_TOP_PAD_: String(512 << 20) };

/** PyTorch's ms per unit-step for each layer and batch, in its faster layout, or null when python3-torch is not installed. */
function torchPeer(weights: string, layers: string[], sides: number[]): Map<string, { ms: number; layout: string }> | null {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, h5py'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const script = fileURLToPath(new URL('./peer_torch.py', import.meta.url));
  const args = JSON.stringify({ weights, layers, sides, batches: [1, ...BATCHES], rounds: ROUNDS, relu: RELU });
  const out = execFileSync(PYTHON, [script, args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...TORCH_MALLOC, ...process.env } });
  const rows = JSON.parse(out) as Array<{ layer: string; batch: number; ms: number; layout: string }>;
  return new Map(rows.map((r) => [`${r.layer}|${r.batch}`, { ms: r.ms, layout: r.layout }]));
}

export async function benchOptvisLayers(variants: (weights: Map<string, LayerWeights>, spec: ModelSpec) => Promise<Variant[]>): Promise<void> {
  const { spec, weights, engine } = await loadModel({ engine: 'onnxruntime' });
  const device = engine.name;
  engine.dispose();
  const peak = machinePeak();
  const only = process.env.BENCH_LAYERS?.split(',');
  const layers = spec.layers.filter((l) => l.kind === 'conv' && weights.layers.has(l.name) && (!only || only.includes(l.name))).map((l) => l.name);
  const sides = stepSides(STEPS);
  console.log(`\n# feature visualization per layer (${SIZE} px, Lucid's transforms${SIZE === 128 ? '' : SIZE === GRID_RECIPE.size ? ` scaled to it, the grid recipe's pad ${TRANSFORMS.pad}` : ' scaled to it'}: inputs ${Math.min(...sides)}-${Math.max(...sides)} px; ${OBJECTIVE} objective (BENCH_LAYER_OBJECTIVE), ${RELU ? 'post' : 'pre'}-ReLU (BENCH_LAYER_RELU); best of BENCH_LAYER_ROUNDS=${ROUNDS} renders of BENCH_LAYER_STEPS=${STEPS} steps after as many warm-up steps, BENCH_LAYER_BATCH=${BATCHES.join(',')}, BENCH_LAYER_SIZE=${SIZE}, BENCH_LAYERS to choose)`);
  // ATLAS_DEVICE=cuda or webgpu runs the same bench on a GPU (README, GPU); the peak stays the CPU's estimate.
  console.log(`  engine: ${device}${device === 'onnxruntime' ? '' : " (a GPU provider: the share of peak below is of the CPU's estimate and says nothing there; PyTorch beside runs on the CPU)"}`);
  console.log(`  peak: ${peak.derivation}`);
  console.log('  ms per unit-step: whole step (network part) | network GFLOP/s, % of peak');
  const vs = await variants(weights.layers, spec);
  const torch = torchPeer(locateWeights(spec), layers, sides);
  if (torch) console.log(`  pytorch: ${PYTHON}, the faster of nchw and channels_last, glibc malloc keeping freed memory (${Object.entries(TORCH_MALLOC).map(([k, v]) => `${k}=${process.env[k] ?? v}`).join(' ')})`);
  const head = ['layer', 'batch', ...vs.map((v) => v.name), ...(torch ? ['pytorch (network, layout)'] : [])];
  console.log(`  ${head.join(' | ')}`);
  for (const layer of layers) {
    for (const units of [[0], ...BATCHES.map((b) => Array.from({ length: b }, (_, i) => i))]) {
      // Said, so that the cell is read with it (until 2026-12-06 a redirected step ran the network twice).
      const cells = (await measure(vs, spec, layer, units, sides)).map(
        (c) => `${c.total.toFixed(1)} (${c.network.toFixed(1)}${c.redirected ? `, ${c.redirected} of ${STEPS} steps redirected` : ''}) | ${c.gflops.toFixed(0)}, ${((100 * c.gflops) / peak.gflops).toFixed(0)}%`,
      );
      const t = torch?.get(`${layer}|${units.length}`);
      console.log(`  ${[layer, units.length, ...cells, ...(t === undefined ? [] : [`${t.ms.toFixed(1)} (${t.layout})`])].join(' | ')}`);
    }
  }
  for (const v of vs) v.engine.dispose();
  const costs: string[] = [];
  for (const l of ['block1_conv2', 'block3_conv4'].filter((x) => layers.includes(x))) costs.push(`${l} ${(await sessionCost(weights.layers, spec, l, [0, 1, 2, 3])).toFixed(0)} ms`);
  if (costs.length) console.log(`  a pruned session at 128 px (one per input side, batch width and number of channels, shared by a layer atlas's batches, which are fed their weights): ${costs.join(', ')}`);
}

/**
 * Before: the full gradient graph; after: pruned to the batch's channels (what the engine does); with
 * BENCH_LAYER_INT8=1 also int8: the pruned graph in int8 (int8-engine.ts, not used by the generator), whose
 * FLOPs are counted as the pruned graph's.
 */
export async function pruningVariants(weights: Map<string, LayerWeights>, spec: ModelSpec): Promise<Variant[]> {
  const before = await loadModel({ engine: 'onnxruntime', pruneChannels: false });
  const after = await loadModel({ engine: 'onnxruntime' });
  const graphs = kerasGraphs(spec, { layers: weights });
  const int8: Variant[] = [];
  // The int8 engine runs pre-ReLU objectives only (a post-ReLU one would fall back to fp32).
  if (process.env.BENCH_LAYER_INT8 === '1' && (OBJECTIVE !== 'channel' || RELU)) {
    console.log(`  BENCH_LAYER_INT8=1 ignored: the int8 engine runs the pre-ReLU channel objective only (this run: ${RELU ? 'post' : 'pre'}-ReLU ${OBJECTIVE}; add BENCH_LAYER_RELU=0)`);
  } else if (process.env.BENCH_LAYER_INT8 === '1') {
    const inner = await loadModel({ engine: 'onnxruntime' });
    const engine = new Int8Engine(inner.engine, graphs, await loadOrt(), availableParallelism());
    int8.push({ name: 'int8 (pruned)', engine, graph: (layer, units, side) => ({ bytes: graphs.gradient(layer, RELU ? 'redirect' : 'pre', [...new Set(units)].sort((a, b) => a - b), [side, side]).bytes, side }) });
  }
  return [
    { name: 'before: full graph', engine: before.engine, graph: (layer, _units, side) => ({ bytes: graphs.gradient(layer, RELU ? 'redirect' : 'pre', undefined, [side, side]).bytes, side }) },
    {
      name: `after: pruned to the batch${OBJECTIVE === 'neuron' ? ' and the window' : ''}`,
      engine: after.engine,
      graph: (layer, units, side) => {
        // The neuron objective reads the centre position: the engine runs the window its field needs.
        const [h] = layerShapes(spec, [side, side]).get(layer)!;
        const c = Math.floor(h / 2);
        const win = OBJECTIVE === 'neuron' ? inputWindow(spec, layer, [side, side], [c, c], [c, c]) : null;
        const s = win ? win.height : side;
        return { bytes: graphs.gradient(layer, RELU ? 'redirect' : 'pre', [...new Set(units)].sort((a, b) => a - b), [s, s]).bytes, side: s };
      },
    },
    ...int8,
  ];
}

/** Building a pruned session (once per input side, batch width and channel count), ms: graph + onnxruntime's session creation. */
export async function sessionCost(weights: Map<string, LayerWeights>, spec: ModelSpec, layer: string, units: number[]): Promise<number> {
  const ort = await loadOrt();
  const t = performance.now();
  const s = await ort.InferenceSession.create(kerasGraphs(spec, { layers: weights }).gradient(layer, 'pre', units, [128, 128], units.length).bytes, ortSessionOptions(availableParallelism()));
  const ms = performance.now() - t;
  await s.release();
  return ms;
}
