// The image side of feature visualization as a graph of the IR, so that the one differentiator
// derives its adjoint (d rgb -> d spectra) as it derives the network's. Spectra [2, n*3, size, wl]
// (real, imaginary) -> scaled by param.ts's frequency scale -> the separable inverse real DFT
// (img = Ch wr - Sh wi, wr = xr Cw - xi Sw, wi = xr Sw + xi Cw) -> Lucid's colour decorrelation -> sigmoid.
import type { IrConst, IrGraph, IrNode } from '../model/ir.ts';
import { DECORRELATED_TO_RGB } from './color.ts';
import { idftMatrixData, spectrumScale } from './param.ts';

export const IMAGE_INPUT = 'spectrum';
export const IMAGE_OUTPUT = 'rgb';

export function imageIr(size: number, decay: number): IrGraph {
  const wl = Math.floor(size / 2) + 1;
  const m = idftMatrixData(size, size);
  const constants = new Map<string, IrConst>();
  const nodes: IrNode[] = [];
  const floats = (name: string, data: Float32Array, dims: number[]) => (constants.set(name, { type: 'float', data, dims }), name);
  const ints = (name: string, data: number[], dims = [data.length]) => (constants.set(name, { type: 'int64', data: BigInt64Array.from(data.map(BigInt)), dims }), name);
  const op = (kind: string, inputs: string[], attrs: IrNode['attrs'] = {}, name = `${kind.toLowerCase()}${nodes.length}`) => {
    nodes.push({ op: kind, name, inputs, outputs: [name], attrs });
    return name;
  };
  const scaled = op('Mul', [IMAGE_INPUT, floats('scale', spectrumScale(size, size, decay), [size, wl])]);
  const xr = op('Gather', [scaled, ints('zero', [0], [])], { axis: 0 });
  const xi = op('Gather', [scaled, ints('one', [1], [])], { axis: 0 });
  const [cw, sw] = [floats('cw', m.cw, [wl, size]), floats('sw', m.sw, [wl, size])];
  const wr = op('Sub', [op('MatMul', [xr, cw]), op('MatMul', [xi, sw])]);
  const wi = op('Add', [op('MatMul', [xr, sw]), op('MatMul', [xi, cw])]);
  const planes = op('Sub', [op('MatMul', [floats('ch', m.ch, [size, size]), wr]), op('MatMul', [floats('sh', m.sh, [size, size]), wi])]);
  const nhwc = op('Transpose', [op('Reshape', [planes, ints('planes_shape', [-1, 3, size, size])])], { perm: [0, 2, 3, 1] });
  // Lucid's /4 folded into the colour matrix (exact: a power of two), so that rgb = t_planes @ colour.
  const colour = floats('colour', DECORRELATED_TO_RGB.map((v) => v / 4), [3, 3]);
  op('Sigmoid', [op('MatMul', [nhwc, colour])], {}, IMAGE_OUTPUT);
  return { input: IMAGE_INPUT, inputDims: [2, null, size, wl], outputs: [IMAGE_OUTPUT], nodes, constants };
}
