// The image side of feature visualization as a graph of the IR, so that the one differentiator
// derives its adjoint (d rgb -> d spectra) as it derives the network's. Spectra [2, n*3, size, wl]
// (real, imaginary) -> scaled by param.ts's frequency scale -> the separable inverse real DFT
// (img = Ch wr - Sh wi, wr = xr Cw - xi Sw, wi = xr Sw + xi Cw) -> Lucid's colour decorrelation -> sigmoid.
// MACO's image side (maco-ir.ts) is built with the same helpers.
import type { IrConst, IrGraph, IrNode } from '../model/ir.ts';
import { DECORRELATED_TO_RGB } from './color.ts';
import { idftMatrixData, spectrumScale } from './param.ts';

export const IMAGE_INPUT = 'spectrum';
export const IMAGE_OUTPUT = 'rgb';

/** Nodes and constants of a small IR graph, built in order. */
export function irBuilder() {
  const constants = new Map<string, IrConst>();
  const nodes: IrNode[] = [];
  return {
    constants,
    nodes,
    floats: (name: string, data: Float32Array, dims: number[]) => (constants.set(name, { type: 'float', data, dims }), name),
    ints: (name: string, data: number[], dims = [data.length]) => (constants.set(name, { type: 'int64', data: BigInt64Array.from(data.map(BigInt)), dims }), name),
    op: (kind: string, inputs: string[], attrs: IrNode['attrs'] = {}, name = `${kind.toLowerCase()}${nodes.length}`) => {
      nodes.push({ op: kind, name, inputs, outputs: [name], attrs });
      return name;
    },
  };
}
export type IrBuilder = ReturnType<typeof irBuilder>;

/**
 * The separable inverse real DFT of spectra xr, xi [..., size, wl] -> planes [..., size, size] with
 * param.ts's orthonormal matrices (2-D constants broadcast over the leading axes).
 */
export function irfft2Nodes(b: IrBuilder, xr: string, xi: string, size: number): string {
  const wl = Math.floor(size / 2) + 1;
  const m = idftMatrixData(size, size);
  const [cw, sw] = [b.floats('cw', m.cw, [wl, size]), b.floats('sw', m.sw, [wl, size])];
  const wr = b.op('Sub', [b.op('MatMul', [xr, cw]), b.op('MatMul', [xi, sw])]);
  const wi = b.op('Add', [b.op('MatMul', [xr, sw]), b.op('MatMul', [xi, cw])]);
  return b.op('Sub', [b.op('MatMul', [b.floats('ch', m.ch, [size, size]), wr]), b.op('MatMul', [b.floats('sh', m.sh, [size, size]), wi])]);
}

export function imageIr(size: number, decay: number): IrGraph {
  const wl = Math.floor(size / 2) + 1;
  const b = irBuilder();
  const scaled = b.op('Mul', [IMAGE_INPUT, b.floats('scale', spectrumScale(size, size, decay), [size, wl])]);
  const xr = b.op('Gather', [scaled, b.ints('zero', [0], [])], { axis: 0 });
  const xi = b.op('Gather', [scaled, b.ints('one', [1], [])], { axis: 0 });
  const planes = irfft2Nodes(b, xr, xi, size);
  const nhwc = b.op('Transpose', [b.op('Reshape', [planes, b.ints('planes_shape', [-1, 3, size, size])])], { perm: [0, 2, 3, 1] });
  // Lucid's /4 folded into the colour matrix (exact: a power of two), so that rgb = t_planes @ colour.
  const colour = b.floats('colour', DECORRELATED_TO_RGB.map((v) => v / 4), [3, 3]);
  b.op('Sigmoid', [b.op('MatMul', [nhwc, colour])], {}, IMAGE_OUTPUT);
  return { input: IMAGE_INPUT, inputDims: [2, null, size, wl], outputs: [IMAGE_OUTPUT], nodes: b.nodes, constants: b.constants };
}
