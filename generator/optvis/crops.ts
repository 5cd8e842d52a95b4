// MACO's per-step views (Fel et al. 2023; Horama's optimization_step): k square crops of each image,
// centre ~ N(0.5, 0.15) of the image per axis, side uniform in a range of fractions of the image side,
// resized to the network's input as torchvision's roi_align does (each output pixel the mean of a g x g
// grid of bilinear samples inside its bin, g = ceil(crop px / input px), so a crop larger than the input
// is averaged, not aliased), then Gaussian and uniform noise. Crops reaching past the image read the
// sigmoid's mid-grey 0.5, as the warp's padding does. The network's batch holds the k crops of every
// image (view-major), and the adjoint sums their gradients back into the images.
import type { TransformPart } from './parts.ts';
import { gaussian, prng, seedOf } from './random.ts';
import { type WarpPlan, warpAdjoint, warpForward } from './transform.ts';

export interface CropSettings {
  /** Crops per image each step. */
  crops: number;
  /** A crop's side as a fraction of the image side: uniform in [box[0], box[1]]. */
  box: [number, number];
  /** Noise in (0, 1) pixel units: N(0, noise) plus U(-noise / 2, noise / 2) on every value of every crop. */
  noise: number;
  /** The crops' side as the network sees them, px. */
  input: number;
}

/** A crop: centre and side as fractions of the image side. */
export interface CropBox {
  cx: number;
  cy: number;
  side: number;
}

/** The step's crops; the order of draws is fixed so a seed fixes the whole sequence. */
export function sampleCrops(rand: () => number, cfg: CropSettings): CropBox[] {
  return Array.from({ length: cfg.crops }, () => {
    const [gx, gy] = gaussian(rand, 2, 0.15);
    return { cx: 0.5 + gx, cy: 0.5 + gy, side: cfg.box[0] + rand() * (cfg.box[1] - cfg.box[0]) };
  });
}

/** The tap table of one crop of a `size` px image resized to `input` px (pixel centres at i + 0.5). */
export function planCrop(size: number, box: CropBox, input: number, padValue = 0.5): WarpPlan {
  const span = box.side * size;
  const bin = span / input;
  const g = Math.max(1, Math.ceil(bin - 1e-9));
  const taps = 4 * g * g;
  const x0 = (box.cx - box.side / 2) * size;
  const y0 = (box.cy - box.side / 2) * size;
  const index = new Int32Array(input * input * taps);
  const weight = new Float32Array(input * input * taps);
  const share = 1 / (g * g);
  const at = (v: number) => (v >= 0 && v < size ? v : -1);
  for (let i = 0; i < input; i++) {
    for (let j = 0; j < input; j++) {
      let o = (i * input + j) * taps;
      for (let sy = 0; sy < g; sy++) {
        // A sample's continuous coordinate, then the bilinear taps around it (pixel i's centre at i + 0.5).
        const v = y0 + (i + (sy + 0.5) / g) * bin - 0.5;
        const ty = Math.floor(v);
        const fy = v - ty;
        for (let sx = 0; sx < g; sx++) {
          const u = x0 + (j + (sx + 0.5) / g) * bin - 0.5;
          const tx = Math.floor(u);
          const fx = u - tx;
          const rows = [at(ty), at(ty + 1)];
          const cols = [at(tx), at(tx + 1)];
          const wy = [1 - fy, fy];
          const wx = [1 - fx, fx];
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++) {
              index[o] = rows[a] < 0 || cols[b] < 0 ? -1 : rows[a] * size + cols[b];
              weight[o] = wy[a] * wx[b] * share;
              o++;
            }
        }
      }
    }
  }
  return { inSize: size, outSize: input, taps, index, weight, padValue };
}

/**
 * The crops as a transform part: boxes and noise drawn from the seed alone, so every image of a batch
 * sees the same crops and noise, and an image's result does not depend on what shares its batch.
 */
export function cropTransform(size: number, cfg: CropSettings, seed: number): TransformPart {
  const rand = prng(seedOf('crops', seed));
  const per = cfg.input * cfg.input * 3;
  return {
    copies: cfg.crops,
    views(rgb, n) {
      const plans = sampleCrops(rand, cfg).map((b) => planCrop(size, b, cfg.input));
      const x = new Float32Array(cfg.crops * n * per);
      plans.forEach((plan, j) => {
        x.set(warpForward(plan, rgb, n), j * n * per);
        const normal = gaussian(rand, per, cfg.noise);
        for (let i = 0; i < n; i++) {
          const o = (j * n + i) * per;
          for (let p = 0; p < per; p++) x[o + p] += normal[p];
        }
        for (let p = 0; p < per; p++) {
          const u = (rand() - 0.5) * cfg.noise;
          for (let i = 0; i < n; i++) x[(j * n + i) * per + p] += u;
        }
      });
      return {
        x,
        side: cfg.input,
        adjoint(grad) {
          const dRgb = new Float32Array(rgb.length);
          plans.forEach((plan, j) => {
            const d = warpAdjoint(plan, grad.subarray(j * n * per, (j + 1) * n * per), n);
            for (let k = 0; k < d.length; k++) dRgb[k] += d[k];
          });
          return dRgb;
        },
      };
    },
  };
}
