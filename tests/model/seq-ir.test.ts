// VGG19 lowered to the graph IR: kernels pruned to a conv's channels, and the gradient graph the
// differentiator derives from it (the target conv runs for those channels only, forward and backward).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { kerasGraphs } from '../../generator/model/graph-net.ts';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { loadOrt, ortSessionOptions } from '../../generator/model/ort.ts';
import { outputChannels, sequentialIr } from '../../generator/model/seq-ir.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

const { onnx } = onnxProto;

/**
 * Kernel dims of a graph's Conv and ConvTranspose nodes, by kernel name without the emitters' prefixes
 * (c_, adN_), suffixed `@input` where the kernel is a graph input (fed) rather than an initializer.
 */
function convKernels(bytes: Uint8Array): Map<string, number[]> {
  const g = onnx.ModelProto.decode(bytes).graph!;
  const dims = new Map((g.initializer ?? []).map((t) => [t.name!, (t.dims ?? []).map(Number)]));
  const inputs = new Map((g.input ?? []).map((i) => [i.name!, (i.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue))]));
  const out = new Map<string, number[]>();
  for (const n of g.node ?? []) {
    if (n.opType !== 'Conv' && n.opType !== 'ConvTranspose') continue;
    const k = n.input![1];
    const name = k.replace(/^(c_|ad\d+_)/, '');
    out.set(inputs.has(k) ? `${name}@input:${n.opType}` : name, dims.get(k) ?? inputs.get(k)!);
  }
  return out;
}

describe('outputChannels', () => {
  // Keras layout [kh, kw, in, out]: 1 x 1 x 2 inputs x 3 outputs, value = 10 * in + out.
  const w = { kernel: Float32Array.of(0, 1, 2, 10, 11, 12), kernelShape: [1, 1, 2, 3], bias: Float32Array.of(100, 101, 102) };

  it('keeps the given output channels, in the given order', () => {
    const p = outputChannels(w, [2, 0]);
    expect(p.kernelShape).toEqual([1, 1, 2, 2]);
    expect([...p.kernel]).toEqual([2, 0, 12, 10]);
    expect([...p.bias]).toEqual([102, 100]);
  });

  it('refuses a channel out of range, naming the range', () => {
    expect(() => outputChannels(w, [3])).toThrow(/channel 3 out of range.*0\.\.2/);
  });
});

describe('VGG19 gradient graphs from the differentiator', () => {
  it('pruned to channels: the target conv runs for those only, forward and backward, on fed weights; the other convs in full; ReLUs before pools are masked by the pool', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const fullBytes = graphs.gradient('block2_conv1', 'pre', undefined, [48, 48]).bytes;
    const full = convKernels(fullBytes);
    const pruned = convKernels(graphs.gradient('block2_conv1', 'pre', [5, 9], [48, 48]).bytes);
    expect(full.get('block2_conv1_W')).toEqual([128, 64, 3, 3]);
    expect(full.get('block2_conv1_wflip')).toEqual([64, 128, 3, 3]);
    // The pruned conv's kernel is a graph input (fed per channel set): the forward Conv reads it, the adjoint
    // Conv reads it flipped in the graph (no ConvTranspose: onnxruntime's runs at a few GFLOP/s).
    expect(pruned.get('block2_conv1_W@input:Conv')).toEqual([2, 64, 3, 3]);
    expect([...pruned.keys()].filter((k) => k.includes('ConvTranspose'))).toEqual([]);
    const prunedNodes = onnx.ModelProto.decode(graphs.gradient('block2_conv1', 'pre', [5, 9], [48, 48]).bytes).graph!.node!;
    const flip = prunedNodes.find((n) => n.opType === 'Slice' && prunedNodes.some((m) => m.opType === 'Conv' && m.input![1] === n.output![0]));
    expect(flip, 'the adjoint conv reads a kernel sliced (flipped) in the graph').toBeDefined();
    expect(pruned.has('block2_conv1_W') || pruned.has('block2_conv1_wflip')).toBe(false);
    for (const k of ['block1_conv1_W', 'block1_conv2_W', 'block1_conv2_wflip', 'block1_conv1_wflip']) expect(pruned.get(k)).toEqual(full.get(k));
    // block1_conv1's ReLU feeds block1_conv2 (a mask of its own); block1_conv2's feeds the pool (masked there,
    // on the pooled values): two masks, min(1, 2^100 y) as a depthwise Conv and a Clip, not two at block1's
    // full resolution. The pool's 48 px input is tiled by its windows: its routing is a Relu of a depthwise
    // Conv too. No Where (three passes on one thread in onnxruntime), no Greater, Equal or Cast (which
    // onnxruntime runs outside its NCHWc layout, reordering a tensor out and back around each).
    const ops = onnx.ModelProto.decode(fullBytes).graph!.node!.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Clip')).toHaveLength(2);
    for (const op of ['Where', 'Greater', 'Equal', 'Cast']) expect(ops, op).not.toContain(op);
    // At 49 px the pool leaves a row and a column out of its windows: a depthwise Conv with a one-hot
    // kernel crops them (not a Slice), and the routed gradient is padded back.
    const odd = onnx.ModelProto.decode(graphs.gradient('block2_conv1', 'pre', undefined, [49, 49]).bytes).graph!;
    expect(odd.initializer!.filter((t) => t.name!.startsWith('ad_crop_')).map((t) => t.dims!.map(Number))).toEqual([[64, 1, 2, 2]]);
    for (const op of ['Where', 'Greater', 'Equal', 'Cast', 'Slice']) expect(odd.node!.map((n) => n.opType), op).not.toContain(op);
  });

  it('for a batch width, every dim is static: onnxruntime keeps the backward (masks, routing, products) in its NCHWc layout', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const graphs = kerasGraphs(vgg19, w);
    const bytes = graphs.gradient('block2_conv2', 'pre', [5, 9], [48, 48], 3).bytes;
    const inputs = new Map((onnx.ModelProto.decode(bytes).graph!.input ?? []).map((i) => [i.name!, (i.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimParam || Number(d.dimValue))]));
    expect(inputs.get('images')).toEqual([3, 48, 48, 3]);
    expect(inputs.get('grad')).toEqual([3, 24, 24, 2]);
    // Layout changes left after onnxruntime's optimizations: at the borders only (the input, the pruned
    // conv fed its weights, which NCHWc cannot pre-pack, and the outputs); with a free batch dim it cannot
    // prove the products' shapes equal and reorders around each mask.
    const reorders = async (b: Uint8Array) => {
      const ort = await loadOrt();
      const dir = mkdtempSync(path.join(tmpdir(), 'seq-ir-'));
      try {
        const file = path.join(dir, 'optimized.onnx');
        await (await ort.InferenceSession.create(b, { ...ortSessionOptions(1), optimizedModelFilePath: file })).release();
        return (onnx.ModelProto.decode(readFileSync(file)).graph!.node ?? []).filter((n) => n.opType!.startsWith('Reorder')).length;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(await reorders(bytes)).toBeLessThanOrEqual(4);
    expect(await reorders(graphs.gradient('block2_conv2', 'pre', [5, 9], [48, 48]).bytes)).toBeGreaterThan(8);
  });

  it('refuses to prune a pool layer, and names a layer the spec lacks', () => {
    expect(() => sequentialIr(vgg19, new Map(), 'block1_pool', { layer: 'block1_pool', channels: [0] })).toThrow(/needs a conv layer; block1_pool is a pool layer/);
    expect(() => sequentialIr(vgg19, new Map(), 'block9_conv1')).toThrow(/unknown layer 'block9_conv1'/);
  });
});
