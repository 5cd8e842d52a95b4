// Conv steps of an imported graph: for every conv layer, the layer whose units its input channels are
// (through pools, dropout), and, when that is a concatenation, the branch each channel comes from: a
// SqueezeNet squeeze unit's inputs are the expand1x1 and expand3x3 units of the fire module before it.
import { AtlasError } from '../errors.ts';
import { attrInt, producers, weightedNodeOf } from '../model/ir.ts';
import { windowOf } from '../model/ir-shapes.ts';
import { layerShapes, type ModelSpec } from '../model/spec.ts';
import { type ConvStep, INPUT_LAYER, type Pool } from './weights.ts';

const PASS_THROUGH = new Set(['Dropout', 'Identity']);

export function graphConvSteps(spec: ModelSpec): ConvStep[] {
  const b = spec.graph!;
  const g = b.topology;
  const prod = producers(g);
  const layerOf = new Map(Object.entries(b.values).map(([l, v]) => [v, l]));
  const kindOf = new Map(spec.layers.map((l) => [l.name, l.kind]));
  const shapes = layerShapes(spec);
  /** The layer a value is (through dropout/identity), if any. */
  const layerAt = (v: string): string | undefined => {
    for (let x: string | undefined = v; x !== undefined; ) {
      const l = layerOf.get(x);
      if (l) return l;
      const n = prod.get(x);
      x = n && PASS_THROUGH.has(n.op) ? n.inputs[0] : undefined;
    }
    return undefined;
  };
  const steps: ConvStep[] = [];
  for (const l of spec.layers) {
    if (l.kind !== 'conv') continue;
    const conv = weightedNodeOf(prod, b.values[l.name]);
    if (conv?.op !== 'Conv') continue;
    const input = conv.inputs[0];
    const inputTensor = input === g.input ? null : (layerAt(input) ?? null);
    const pools: Pool[] = [];
    let v = input;
    let source: string | undefined;
    for (;;) {
      if (v === g.input) {
        source = INPUT_LAYER;
        break;
      }
      const at = layerAt(v);
      if (at && (kindOf.get(at) === 'conv' || kindOf.get(at) === 'concat')) {
        source = at;
        break;
      }
      const n = prod.get(v);
      if (n && (n.op === 'MaxPool' || n.op === 'AveragePool')) pools.unshift({ name: layerAt(v) ?? n.name, size: windowOf(n, [0, 0]).kernel[0], stride: windowOf(n, [0, 0]).strides[0] });
      else if (!n || !PASS_THROUGH.has(n.op)) {
        throw new AtlasError(`${spec.id}: cannot trace what feeds ${l.name} (through a ${n?.op ?? 'missing'} node)`, 'publish the value before it as a layer in the model card');
      }
      v = n.inputs[0];
    }
    const w = g.constants.get(conv.inputs[1])!.dims;
    const inChannels = w[1] * attrInt(conv, 'group', 1);
    const order = spec.preprocessing.mode === 'normalize' ? spec.preprocessing.order : 'BGR';
    let sources: ConvStep['sources'] = [{ layer: source, offset: 0, count: inChannels, ...(source === INPUT_LAYER ? { labels: order.split('') } : {}) }];
    if (source !== INPUT_LAYER && kindOf.get(source) === 'concat') {
      const cat = prod.get(b.values[source])!;
      let offset = 0;
      sources = cat.inputs.map((i) => {
        const branch = layerAt(i);
        if (!branch) throw new AtlasError(`${spec.id}: an input of ${source} is not a layer`, 'publish every branch of a concatenation as a layer in the model card');
        const count = shapes.get(branch)!.at(-1)!;
        offset += count;
        return { layer: branch, offset: offset - count, count };
      });
    }
    const win = windowOf(conv, [0, 0], w.slice(2));
    steps.push({ name: l.name, source, sources, pools, inputTensor, inChannels, filters: l.filters, kernel: l.kernel, stride: win.strides[0], pad: win.pads[0] });
  }
  return steps;
}
