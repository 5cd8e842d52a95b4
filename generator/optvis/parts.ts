// The three parts of a feature visualization's optimization, as Lucent splits them (param/, transform,
// optimizer), so that one loop (render.ts) runs every combination:
//   parametrization  what the optimizer moves and how it becomes an image: its initial values, and an
//                    image model (params -> RGB in (0, 1), and the adjoint d rgb -> d params);
//   step transform   the random views of the images the network sees each step (Lucid's warp: one per
//                    image; MACO's crops: k per image, which multiply the network's batch), with the
//                    adjoint that carries their gradient back to the images, summed over the views;
//   optimizer        Adam or NAdam (adam.ts).
import type { ImageModel, ImageModelChoice } from './image-model.ts';
import { createImageModel, createMacoImageModel } from './image-model.ts';
import { initSpectrum } from './param.ts';
import { gaussian, prng, seedOf } from './random.ts';
import { planWarp, sampleTransform, type TransformConfig, transformedSize, warpAdjoint, warpForward } from './transform.ts';

export const PARAMS = ['fourier', 'maco'] as const;
export type ParamName = (typeof PARAMS)[number];

export interface ParamPart {
  /** The parameters, moved in place by the optimizer. */
  params: Float32Array;
  model: ImageModel;
}

/** One step's views of the n images, in (0, 1) pixel units. */
export interface StepViews {
  /** [copies * n, side, side, 3], view-major: view j of image i at j * n + i. */
  x: Float32Array;
  side: number;
  /** d objective / d images [n, size, size, 3] from d objective / d views, summed over the views. */
  adjoint(grad: Float32Array): Float32Array;
}

export interface TransformPart {
  /** Views per image each step (the network's batch is copies x the images). */
  copies: number;
  views(rgb: Float32Array, n: number): StepViews;
}

/** Which image each of the images' parameters starts from: image i's own random source. */
export type InitSource = (i: number) => () => number;

/** Lucid's Fourier parametrization: spectra N(0, 0.01), the image side on onnxruntime or tfjs. */
export async function fourierParam(n: number, size: number, init: InitSource, use?: ImageModelChoice): Promise<ParamPart> {
  const params = initSpectrum(n, size, size, init);
  return { params, model: await createImageModel(n, size, { use }) };
}

/**
 * MACO's parametrization: phases N(0, 1) [n, 3, size, size/2+1] under a fixed magnitude (maco-ir.ts);
 * onnxruntime only.
 */
export async function macoParam(n: number, size: number, magnitude: Float32Array, init: InitSource): Promise<ParamPart> {
  const per = 3 * size * (Math.floor(size / 2) + 1);
  const params = new Float32Array(n * per);
  for (let i = 0; i < n; i++) params.set(gaussian(init(i), per, 1), i * per);
  return { params, model: await createMacoImageModel(n, size, magnitude) };
}

/** The network input side of each of the first `steps` steps of warpTransform(size, cfg, seed): the draws depend on the seed alone. */
export function warpSides(size: number, cfg: TransformConfig | null, seed: number, steps: number): number[] {
  const rand = prng(seedOf('transforms', seed));
  return Array.from({ length: steps }, () => (cfg ? transformedSize(size, sampleTransform(rand, cfg).scale, cfg) : size));
}

/**
 * Lucid's transformation robustness: one warp per step, drawn from `rand` (every image of the batch sees
 * the same one); null: the images as they are.
 */
export function warpTransform(size: number, cfg: TransformConfig | null, seed: number): TransformPart {
  const rand = prng(seedOf('transforms', seed));
  return {
    copies: 1,
    views(rgb, n) {
      const plan = cfg ? planWarp(size, sampleTransform(rand, cfg), cfg) : null;
      return {
        x: plan ? warpForward(plan, rgb, n) : Float32Array.from(rgb),
        side: plan ? plan.outSize : size,
        adjoint: (grad) => (plan ? warpAdjoint(plan, grad, n) : Float32Array.from(grad)),
      };
    },
  };
}
