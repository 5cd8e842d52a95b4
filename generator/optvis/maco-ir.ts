// MACO's image side (Fel et al. 2023, "Unlocking feature visualization for deeper networks with
// magnitude constrained optimization"; the Horama library's preconditioner) as a graph of the IR, so
// that the one differentiator derives its adjoint (d rgb -> d phase). Only the phase is optimized:
//   phase [n, 3, size, wl] -> standardized per image -> spectrum = magnitude (cos phase + i sin phase)
//   -> the inverse real DFT (image-ir.ts's) -> standardized per image -> Lucid's colour recorrelation
//   -> sigmoid -> rgb [n, size, size, 3] in (0, 1).
// The magnitude [3, size, wl] is fixed: natural images' mean |spectrum| per decorrelated colour channel
// (maco-spectrum.ts). The standardizations make the DFT's normalization irrelevant, so param.ts's
// orthonormal matrices serve (Horama's torch irfft2 divides by h w instead).
import type { IrGraph } from '../model/ir.ts';
import { DECORRELATED_TO_RGB } from './color.ts';
import { IMAGE_OUTPUT, type IrBuilder, irBuilder, irfft2Nodes } from './image-ir.ts';

export const MACO_INPUT = 'phase';

/** Horama's standardize: (x - mean) / (std + 1e-4) with the unbiased std, over each image's `count` values (axes 1-3). */
function standardize(b: IrBuilder, x: string, count: number, tag: string): string {
  const axes = [1, 2, 3];
  const mean = b.op('Mul', [b.op('ReduceSum', [x, b.ints(`${tag}_axes`, axes)], { keepdims: 1 }), b.floats(`${tag}_inv_n`, Float32Array.of(1 / count), [])]);
  const centred = b.op('Sub', [x, mean]);
  const std = b.op('Mul', [b.op('ReduceL2', [centred], { axes, keepdims: 1 }), b.floats(`${tag}_inv_sqrt_n1`, Float32Array.of(1 / Math.sqrt(count - 1)), [])]);
  return b.op('Div', [centred, b.op('Add', [std, b.floats(`${tag}_eps`, Float32Array.of(1e-4), [])])]);
}

/** The MACO image side for images of side `size` and a magnitude [3, size, size/2+1]. */
export function macoIr(size: number, magnitude: Float32Array): IrGraph {
  const wl = Math.floor(size / 2) + 1;
  if (magnitude.length !== 3 * size * wl) throw new Error(`MACO magnitude of ${magnitude.length} values for ${size} px images, expected 3 x ${size} x ${wl}`);
  const b = irBuilder();
  const phase = standardize(b, MACO_INPUT, 3 * size * wl, 'phase');
  const mag = b.floats('magnitude', magnitude, [3, size, wl]);
  const re = b.op('Mul', [b.op('Cos', [phase]), mag]);
  const im = b.op('Mul', [b.op('Sin', [phase]), mag]);
  const planes = standardize(b, irfft2Nodes(b, re, im, size), 3 * size * size, 'image');
  const nhwc = b.op('Transpose', [planes], { perm: [0, 2, 3, 1] });
  b.op('Sigmoid', [b.op('MatMul', [nhwc, b.floats('colour', DECORRELATED_TO_RGB, [3, 3])])], {}, IMAGE_OUTPUT);
  return { input: MACO_INPUT, inputDims: [null, 3, size, wl], outputs: [IMAGE_OUTPUT], nodes: b.nodes, constants: b.constants };
}
