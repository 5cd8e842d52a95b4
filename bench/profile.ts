// onnxruntime's view of a feature-visualization step (npm run bench -- profile): which layout every conv
// of the gradient graph runs in after onnxruntime's optimizations (the NCHWc transformer rewrites a conv
// into com.microsoft.nchwc's Conv, with ReorderInput/ReorderOutput at the layout's borders), and where
// the time goes by operator (onnxruntime's profiler). BENCH_PROFILE_LAYER (block3_conv4), _SIDE (140),
// _BATCH (4), _RUNS (8), _TOP (8 operator types).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { loadModel } from '../generator/model/load.ts';
import { kerasGraphs } from '../generator/model/graph-net.ts';
import { loadOrt, ortSessionOptions } from '../generator/model/ort.ts';
import { layerShapes } from '../generator/model/spec.ts';
import { row } from './util.ts';

const { onnx } = onnxProto;
const LAYER = process.env.BENCH_PROFILE_LAYER ?? 'block3_conv4';
const SIDE = Number(process.env.BENCH_PROFILE_SIDE ?? 140);
const BATCH = Number(process.env.BENCH_PROFILE_BATCH ?? 4);
const RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 8);
/** Operator types listed, the most expensive first. */
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 8);

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

/** `fed`: the pruned graph's fed inputs (its conv's weights for the channels), by name. */
async function profileGraph(label: string, bytes: Uint8Array, channels: number, fed = new Map<string, { data: Float32Array; dims: number[] }>()): Promise<void> {
  const ort = await loadOrt();
  const dir = mkdtempSync(path.join(tmpdir(), 'atlas-profile-'));
  try {
    const optimized = path.join(dir, 'optimized.onnx');
    const opts = { ...ortSessionOptions(availableParallelism()), enableProfiling: true, profileFilePrefix: path.join(dir, 'profile'), optimizedModelFilePath: optimized };
    const session = await ort.InferenceSession.create(bytes, opts);
    const { spec } = await loadModel({ engine: 'onnxruntime' });
    const [h, w] = layerShapes(spec, SIDE).get(LAYER)!;
    const images = new ort.Tensor('float32', Float32Array.from({ length: BATCH * SIDE * SIDE * 3 }, (_, i) => (i * 37) % 255), [BATCH, SIDE, SIDE, 3]);
    const grad = new ort.Tensor('float32', new Float32Array(BATCH * h * w * channels).fill(1e-3), [BATCH, h, w, channels]);
    const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { images, grad };
    for (const [name, v] of fed) feeds[name] = new ort.Tensor('float32', v.data, v.dims);
    for (let i = 0; i < RUNS; i++) await session.run(feeds);
    session.endProfiling(); // writes <prefix>_<date>.json into dir
    await session.release();
    const file = readdirSync(dir).find((f) => f.startsWith('profile') && f.endsWith('.json'));
    const nodes = onnx.ModelProto.decode(readFileSync(optimized)).graph?.node ?? [];
    const convs = nodes.filter((n) => n.opType === 'Conv' || n.opType === 'FusedConv' || n.opType === 'ConvTranspose');
    const nchwc = convs.filter((n) => n.domain === 'com.microsoft.nchwc');
    const plain = convs.filter((n) => n.domain !== 'com.microsoft.nchwc').map((n) => `${n.name} (${n.input?.[1]})`);
    console.log(`\n  ${label}: ${nchwc.length} of ${convs.length} convs in NCHWc${plain.length ? `; not: ${plain.join(', ')}` : ''}`);
    const reorders = nodes.filter((n) => n.opType?.startsWith('Reorder')).length;
    row('  layout changes (ReorderInput/ReorderOutput nodes)', `${reorders}`);
    if (!file) throw new Error(`bench: onnxruntime wrote no profile into ${dir}`);
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[];
    const byOp = new Map<string, number>();
    for (const e of profile) if (e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.args?.op_name) byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    row('  all operators', `${(total / 1000 / RUNS).toFixed(1)} ms/run`);
    for (const [op, us] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, TOP)) row(`  ${op}`, `${(us / 1000 / RUNS).toFixed(1)} ms/run (${((100 * us) / total).toFixed(0)}%)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchProfile(): Promise<void> {
  const { spec, weights, engine } = await loadModel({ engine: 'onnxruntime' });
  engine.dispose();
  console.log(`\n# onnxruntime profile of the gradient graph (${LAYER}, ${SIDE} px, batch ${BATCH}, ${RUNS} runs; wall time per operator type, summed over its nodes)`);
  const units = Array.from({ length: BATCH }, (_, i) => i);
  const c = spec.layers.find((l) => l.name === LAYER);
  const graphs = kerasGraphs(spec, weights);
  await profileGraph('full graph', graphs.gradient(LAYER, 'pre', undefined, [SIDE, SIDE], BATCH).bytes, c?.kind === 'conv' ? c.filters : 0);
  await profileGraph(`pruned to ${BATCH} channels`, graphs.gradient(LAYER, 'pre', units, [SIDE, SIDE], BATCH).bytes, BATCH, graphs.feeds(LAYER, units));
}
