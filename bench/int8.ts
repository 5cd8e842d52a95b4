// What int8 would give on this machine (npm run bench -- int8; not used by the engine): a bare 3x3 conv in
// fp32 and as onnxruntime's QLinearConv, then the engine's pruned gradient graph and its int8 versions
// (int8-graph.ts: the forward chained in u8; the backward too), run alternately, with the input gradient's
// cosine against fp32's per image (the same for both: the backward's u8 masks are exact). The images are
// the first of the dataset (ATLAS_DATASET_DIR) resized to the side; the output scales are calibrated on an
// fp32 run of the same inputs (a render would carry them over from the last step).
// BENCH_INT8_LAYERS (block2_conv2,block3_conv2,block3_conv4), _SIDE (68: the grid recipe's), _BATCH (4), _RUNS (15);
// BENCH_INT8_RENDER=1 then renders the grid bench's 24 units both ways (int8-render.ts; minutes, more the first time).
import { availableParallelism } from 'node:os';
import onnxProto from 'onnx-proto';
import sharp from 'sharp';
import { openDataset, resolveDatasetPath } from '../generator/dataset/source.ts';
import { kerasGraphs } from '../generator/model/graph-net.ts';
import { loadModel } from '../generator/model/load.ts';
import { loadOrt, ortSessionOptions, type OrtModule } from '../generator/model/ort.ts';
import { layerShapes } from '../generator/model/spec.ts';
import { calibrate, quantizeConvs, withCalibrationOutputs } from './int8-graph.ts';
import { benchInt8Render } from './int8-render.ts';
import { cosine, row } from './util.ts';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;
const LAYERS = (process.env.BENCH_INT8_LAYERS ?? 'block2_conv2,block3_conv2,block3_conv4').split(',');
const SIDE = Number(process.env.BENCH_INT8_SIDE ?? 68);
const BATCH = Number(process.env.BENCH_INT8_BATCH ?? 4);
const RUNS = Number(process.env.BENCH_INT8_RUNS ?? 15);

type Session = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;
type Feeds = Record<string, InstanceType<OrtModule['Tensor']>>;
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1];

/** Median ms of each session, run alternately after 3 warm-ups. */
async function alternate(pairs: Array<[Session, Feeds]>): Promise<number[]> {
  for (let i = 0; i < 3; i++) for (const [s, f] of pairs) await s.run(f);
  const times = pairs.map((): number[] => []);
  for (let i = 0; i < RUNS; i++)
    for (const [k, [s, f]] of pairs.entries()) {
      const t = performance.now();
      await s.run(f);
      times[k].push(performance.now() - t);
    }
  return times.map(median);
}

function convModel(int8: boolean, n: number, c: number, side: number): Uint8Array {
  const w = Float32Array.from({ length: c * c * 9 }, (_, i) => Math.sin(i * 0.37) * 0.05);
  const vi = (name: string, t: number, dims: number[]) => onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: t, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });
  const init = (name: string, t: number, dims: number[], d: ArrayBufferView) => onnx.TensorProto.create({ name, dataType: t, dims, rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) });
  const pads = [onnx.AttributeProto.create({ name: 'pads', ints: [1, 1, 1, 1], type: onnx.AttributeProto.AttributeType.INTS })];
  const shape = [n, c, side, side];
  const graph = int8
    ? {
        node: [onnx.NodeProto.create({ opType: 'QLinearConv', input: ['x', 'xs', 'z', 'w', 'ws', 'wz', 'xs', 'z'], output: ['y'], attribute: pads })],
        initializer: [init('w', T.INT8, [c, c, 3, 3], Int8Array.from(w, (v) => Math.round((v / 0.05) * 127))), init('ws', T.FLOAT, [c], new Float32Array(c).fill(0.05 / 127)), init('wz', T.INT8, [c], new Int8Array(c)), init('z', T.UINT8, [], Uint8Array.of(128)), init('xs', T.FLOAT, [], Float32Array.of(0.02))],
        input: [vi('x', T.UINT8, shape)],
        output: [vi('y', T.UINT8, shape)],
      }
    : { node: [onnx.NodeProto.create({ opType: 'Conv', input: ['x', 'w'], output: ['y'], attribute: pads })], initializer: [init('w', T.FLOAT, [c, c, 3, 3], w)], input: [vi('x', T.FLOAT, shape)], output: [vi('y', T.FLOAT, shape)] };
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'conv', ...graph } })).finish();
}

async function images(n: number, side: number): Promise<Float32Array> {
  const ds = openDataset(resolveDatasetPath());
  const out = new Float32Array(n * side * side * 3);
  for (let b = 0; b < n; b++) {
    const raw = await sharp(ds.images[b].file).resize(side, side, { fit: 'cover' }).removeAlpha().raw().toBuffer();
    for (let i = 0; i < side * side * 3; i++) out[b * side * side * 3 + i] = raw[i];
  }
  return out;
}

export async function benchInt8(): Promise<void> {
  const ort = await loadOrt();
  const opts = ortSessionOptions(availableParallelism());
  console.log('\n# int8 on this machine: what it would give (not used by the engine)');
  for (const [n, c, side] of [[4, 256, 18], [4, 256, 36], [4, 128, 36]]) {
    const count = n * c * side * side;
    const [f, q] = await Promise.all([false, true].map((i8) => ort.InferenceSession.create(convModel(i8, n, c, side), opts)));
    const [tf, tq] = await alternate([
      [f, { x: new ort.Tensor('float32', Float32Array.from({ length: count }, (_, i) => Math.sin(i)), [n, c, side, side]) }],
      [q, { x: new ort.Tensor('uint8', Uint8Array.from({ length: count }, (_, i) => 128 + Math.round(100 * Math.sin(i))), [n, c, side, side]) }],
    ]);
    const gop = (2 * n * c * c * 9 * side * side) / 1e6;
    row(`bare 3x3 conv ${c} -> ${c}, ${side} x ${side}, batch ${n}: fp32 / QLinearConv`, `${tf.toFixed(2)} / ${tq.toFixed(2)} ms (${(gop / tf).toFixed(0)} / ${(gop / tq).toFixed(0)} GOP/s, ${(tf / tq).toFixed(2)}x)`);
  }
  const { spec, weights, engine } = await loadModel({ engine: 'onnxruntime' });
  engine.dispose();
  const graphs = kerasGraphs(spec, weights);
  const pixels = await images(BATCH, SIDE);
  const units = Array.from({ length: BATCH }, (_, i) => 5 + 7 * i);
  for (const layer of LAYERS) {
    const graph = graphs.gradient(layer, 'pre', units, [SIDE, SIDE], BATCH).bytes;
    const [h, w] = layerShapes(spec, SIDE).get(layer)!;
    const seed = new Float32Array(BATCH * h * w * BATCH);
    for (let b = 0; b < BATCH; b++) for (let p = 0; p < h * w; p++) seed[(b * h * w + p) * BATCH + b] = 1 / (h * w); // each image's channel mean
    const feeds: Feeds = { images: new ort.Tensor('float32', pixels, [BATCH, SIDE, SIDE, 3]), grad: new ort.Tensor('float32', seed, [BATCH, h, w, BATCH]) };
    for (const [name, v] of graphs.feeds(layer, units)) feeds[name] = new ort.Tensor('float32', v.data, v.dims);
    const f = await ort.InferenceSession.create(graph, opts);
    const variants = await Promise.all([false, true].map(async (chainBackward) => {
      const int8 = quantizeConvs(graph, { chainBackward });
      const calibration = await (await ort.InferenceSession.create(withCalibrationOutputs(graph, int8.scales), opts)).run(feeds);
      const qFeeds: Feeds = { ...feeds };
      calibrate(int8.scales, calibration).forEach((v, i) => (qFeeds[int8.scales[i].input] = new ort.Tensor('float32', Float32Array.of(v), [])));
      return { int8, session: await ort.InferenceSession.create(int8.bytes, opts), feeds: qFeeds };
    }));
    const times = await alternate([[f, feeds], ...variants.map((v): [Session, Feeds] => [v.session, v.feeds])]);
    const a = (await f.run(feeds)).input_grad.data as Float32Array;
    const per = a.length / BATCH;
    const b = (await variants[1].session.run(variants[1].feeds)).input_grad.data as Float32Array;
    const c = Array.from({ length: BATCH }, (_, k) => cosine(a.subarray(k * per, (k + 1) * per), b.subarray(k * per, (k + 1) * per)));
    const { forward, backward } = variants[0].int8;
    const [tf, tq, tc] = times;
    row(`${layer} ${SIDE} px x${BATCH}, ${forward}+${backward} convs: fp32 / int8 / bwd chained`, `${tf.toFixed(2)} / ${tq.toFixed(2)} (${(tf / tq).toFixed(2)}x) / ${tc.toFixed(2)} ms a run (${(tf / tc).toFixed(2)}x), cosine ${Math.min(...c).toFixed(3)}-${Math.max(...c).toFixed(3)}`);
  }
  if (process.env.BENCH_INT8_RENDER === '1') await benchInt8Render();
}
