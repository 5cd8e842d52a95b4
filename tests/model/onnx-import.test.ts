// Importing an ONNX classifier: SqueezeNet 1.1's reference outputs reproduced by the graph the generator
// emits, shapes inferred as onnxruntime computes them, the card's layers, and the errors for what cannot run.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { AtlasError } from '../../generator/errors.ts';
import { emitForward } from '../../generator/model/ir-emit.ts';
import { inferShapes } from '../../generator/model/ir-shapes.ts';
import { parseCard } from '../../generator/model/model-card.ts';
import { FLOAT, GraphBuilder } from '../../generator/model/onnx-builder.ts';
import { decodeOnnx, readOnnx } from '../../generator/model/onnx-read.ts';
import { detectLayers, specFromGraph } from '../../generator/model/onnx-import.ts';
import { layerInfo, layerShapes } from '../../generator/model/spec.ts';
import { projectFile } from '../../generator/paths.ts';
import { shared } from '../helpers/shared.ts';

const SQUEEZENET = () => shared('models', 'squeezenet1.1', 'squeezenet1.1.onnx');
const CARD = () => parseCard(JSON.parse(readFileSync(projectFile('models', 'cards', 'squeezenet1.1.json'), 'utf8')), 'card');

/** A .npy file's float32 payload (the reference pairs are little-endian float32, C order). */
function npy(file: string): Float32Array {
  const b = readFileSync(file);
  const header = b.readUInt16LE(8);
  expect(b.subarray(10, 10 + header).toString()).toMatch(/'descr': '<f4'.*'fortran_order': False/);
  return new Float32Array(b.buffer.slice(b.byteOffset + 10 + header, b.byteOffset + b.length));
}

describe('ONNX import (SqueezeNet 1.1)', () => {
  it('reproduces the reference outputs of test_data_set/0..2 within 1e-4 relative, and infers every value\'s shape as onnxruntime computes it', async () => {
    const ir = readOnnx(SQUEEZENET());
    const g = new GraphBuilder();
    const x = g.input('x', FLOAT, ['N', 3, 'H', 'W']);
    const values = emitForward(g, ir, x, ir.outputs);
    const names = ir.nodes.map((n) => n.outputs[0]);
    const outs = names.map((v, i) => g.output(values.get(v), `o${i}`));
    const session = await ort.InferenceSession.create(g.encode(outs));
    const shapes = inferShapes(ir, [1, 3, 224, 224]);
    for (const t of [0, 1, 2]) {
      const input = npy(shared('models', 'squeezenet1.1', 'test_data_set', String(t), 'input_0.npy'));
      const ref = npy(shared('models', 'squeezenet1.1', 'test_data_set', String(t), 'output_0.npy'));
      const res = await session.run({ x: new ort.Tensor('float32', input, [1, 3, 224, 224]) });
      const got = res[`o${names.length - 1}`].data as Float32Array;
      expect(got.length).toBe(1000);
      const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]) / scale), 0);
      expect(worst).toBeLessThan(1e-4);
      expect(got.indexOf(Math.max(...got))).toBe(ref.indexOf(Math.max(...ref)));
      if (t === 0) names.forEach((v, i) => expect([v, res[`o${i}`].dims.map(Number)]).toEqual([v, shapes.get(v)]));
    }
    await session.release();
  });

  it('the card names 38 layers with their kinds, shapes and receptive fields; unset, the layers are detected from the graph', () => {
    const ir = readOnnx(SQUEEZENET());
    const spec = specFromGraph(ir, CARD(), 'squeezenet');
    const info = new Map(layerInfo(spec).map((l) => [l.name, l]));
    expect(spec.layers).toHaveLength(38);
    expect(info.get('conv1')).toMatchObject({ kind: 'conv', shape: [111, 111, 64], params: 3 * 3 * 3 * 64 + 64, rf: { size: 3, stride: 2, offset: 1.5 } });
    expect(info.get('pool1')).toMatchObject({ kind: 'pool', shape: [55, 55, 64], rf: { size: 7, stride: 4 } });
    expect(info.get('fire2_expand3x3')).toMatchObject({ kind: 'conv', shape: [55, 55, 64], rf: { size: 15, stride: 4 } });
    expect(info.get('fire2_concat')).toMatchObject({ kind: 'concat', shape: [55, 55, 128] });
    expect(info.get('fire9_concat')).toMatchObject({ kind: 'concat', shape: [13, 13, 512], rf: { size: 207, stride: 16 } });
    expect(info.get('conv10')).toMatchObject({ kind: 'conv', shape: [13, 13, 1000], params: 512 * 1000 + 1000 });
    // The classes: one position whose field is the whole image (dataset examples crop the whole input).
    expect(info.get('logits')).toMatchObject({ kind: 'logits', shape: [1000], rf: { size: 224, stride: 224, offset: 112 } });
    expect(spec.classifier).toEqual({ layer: 'logits', outputs: 'logits' });
    // Another input size: shapes follow the graph (ceil-mode pools included).
    expect(layerShapes(spec, 128).get('fire9_concat')).toEqual([7, 7, 512]);
    const detected = detectLayers(ir);
    // Every conv's ReLU, pool, concat and the output, as the card has them, plus the global pool it leaves out.
    const cardValues = CARD().layers!.map((l) => l.value);
    expect(detected.map((l) => l.value).filter((v) => v !== 'squeezenet0_pool3_fwd')).toEqual(cardValues);
    expect(detected).toHaveLength(39);
    expect(detected.find((l) => l.value === 'squeezenet0_relu0_fwd')?.name).toBe('squeezenet0_conv0');
  });

  it('an unsupported op, a wrong input size, an unknown layer value and a bad card are errors that say what and where', () => {
    const g = new GraphBuilder();
    const y = g.op('LeakyRelu', [g.input('x', FLOAT, [1, 3, 8, 8])], { alpha: { float: 0.1 } });
    const ir = decodeOnnx(g.encode([g.output(y, 'y')]), 'tiny.onnx');
    const card = parseCard({ id: 'tiny', name: 'tiny', file: 'tiny.onnx', input: { size: 8 } }, 'card');
    expect(() => specFromGraph(ir, card, 'tiny.onnx')).toThrow(/tiny\.onnx: node '.*' is a LeakyRelu, an op the generator does not support/);
    const sq = readOnnx(SQUEEZENET());
    expect(() => specFromGraph(sq, { ...CARD(), input: { ...CARD().input, size: 227 } }, 'sq')).toThrow(/input 'data' is \[1,3,224,224\], the card says 3 x 227 x 227/);
    expect(() => specFromGraph(sq, { ...CARD(), layers: [{ name: 'x', value: 'nope' }] }, 'sq')).toThrow(/layer 'x': the graph has no node computing 'nope'/);
    expect(() => parseCard({ ...CARD(), id: 'Squeeze Net' }, 'my.card.json')).toThrow(AtlasError);
    expect(() => parseCard({ ...CARD(), input: { size: 224, scale: -1 } }, 'my.card.json')).toThrow(/my\.card\.json: input\.scale/);
    expect(() => decodeOnnx(new Uint8Array([1, 2, 3, 4]), 'junk.onnx')).toThrow(/junk\.onnx is not an ONNX model/);
  });
});
