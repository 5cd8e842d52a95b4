import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { readKerasWeights } from '../../generator/model/keras-h5.ts';
import { buildGradient, outputChannels } from '../../generator/model/onnx-graph.ts';
import { vgg19 } from '../../generator/model/spec.ts';
import { NOTOP_WEIGHTS } from '../helpers/shared.ts';

const { onnx } = onnxProto;

/** Kernel dims of a gradient graph's Conv nodes, by kernel name. */
function convKernels(bytes: Uint8Array): Map<string, number[]> {
  const g = onnx.ModelProto.decode(bytes).graph!;
  const dims = new Map((g.initializer ?? []).map((t) => [t.name!, (t.dims ?? []).map(Number)]));
  return new Map((g.node ?? []).filter((n) => n.opType === 'Conv').map((n) => [n.input![1], dims.get(n.input![1])!]));
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

describe('buildGradient pruned to channels', () => {
  it('runs the target conv for those channels only, forward and backward; the other convs in full', async () => {
    const w = await readKerasWeights(NOTOP_WEIGHTS(), vgg19);
    const full = convKernels(buildGradient(vgg19, w.layers, 'block2_conv1', true).bytes);
    const pruned = convKernels(buildGradient(vgg19, w.layers, 'block2_conv1', true, [5, 9]).bytes);
    expect(full.get('block2_conv1_W')).toEqual([128, 64, 3, 3]);
    expect(full.get('block2_conv1_Wflip')).toEqual([64, 128, 3, 3]);
    expect(pruned.get('block2_conv1_W')).toEqual([2, 64, 3, 3]);
    expect(pruned.get('block2_conv1_Wflip')).toEqual([64, 2, 3, 3]);
    for (const k of ['block1_conv1_W', 'block1_conv2_W', 'block1_conv2_Wflip', 'block1_conv1_Wflip']) expect(pruned.get(k)).toEqual(full.get(k));
  });

  it('refuses to prune a pool layer', () => {
    expect(() => buildGradient(vgg19, new Map(), 'block1_pool', true, [0])).toThrow(/needs a conv layer; block1_pool is a pool layer/);
  });
});
